import type { LatchkeyUser } from '@latchkey/client';
import { useEffect, useState } from 'react';
import { myRoles, rolesOf } from '../accountApi';

/**
 * Whether the signed-in person holds the `admin` role (User.roles, API.md §10.2): from the user
 * the client holds when it carries roles, else asked once per user. Only decides what the header
 * shows; the server refuses admin operations to anyone else (FORBIDDEN) whatever the page does.
 */
export function useIsAdmin(user: LatchkeyUser): boolean {
  const held = rolesOf(user);
  const [asked, setAsked] = useState<string[]>([]);
  useEffect(() => {
    if (rolesOf(user)) return;
    let live = true;
    void myRoles().then((roles) => live && setAsked(roles));
    return () => {
      live = false;
    };
  }, [user]);
  return (held ?? asked).includes('admin');
}
