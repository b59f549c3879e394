/**
 * @latchkey/react: a Latchkey client in React.
 *
 * @example
 *   const latchkey = createLatchkeyClient({ url: 'https://auth.example.com' });
 *   root.render(<LatchkeyProvider client={latchkey}><App /></LatchkeyProvider>);
 *
 *   function Header() {
 *     const user = useUser();
 *     const client = useLatchkey();
 *     return (
 *       <>
 *         <SignedIn><span>{user?.email}</span> <button onClick={() => client.logout()}>Sign out</button></SignedIn>
 *         <SignedOut><a href="https://auth.example.com/login?next=https://app.example.com/">Sign in</a></SignedOut>
 *       </>
 *     );
 *   }
 */
import type { LatchkeyClient, LatchkeyUser, SessionState } from '@latchkey/client';
import { createContext, type ReactNode, useContext, useSyncExternalStore } from 'react';

const Context = createContext<LatchkeyClient | null>(null);

/** Makes `client` available to the hooks and components below it. */
export function LatchkeyProvider({ client, children }: { client: LatchkeyClient; children?: ReactNode }) {
  return <Context.Provider value={client}>{children}</Context.Provider>;
}

/** The client given to the provider (sign in, sign out, requests). */
export function useLatchkey(): LatchkeyClient {
  const client = useContext(Context);
  if (!client) throw new Error('useLatchkey: no <LatchkeyProvider client={…}> above this component');
  return client;
}

/** The sign-in state (`restoring`, `signedIn`, `signedOut`); re-renders on every change, in this tab or another. */
export function useSession(): SessionState {
  const client = useLatchkey();
  return useSyncExternalStore(client.subscribe, client.getState, client.getState);
}

/** The signed-in user, or null. */
export function useUser(): LatchkeyUser | null {
  return useSession().user;
}

/** Its children only while someone is signed in. */
export function SignedIn({ children }: { children?: ReactNode }) {
  return useSession().status === 'signedIn' ? children : null;
}

/** Its children only once it is known that nobody is signed in (not while restoring). */
export function SignedOut({ children }: { children?: ReactNode }) {
  return useSession().status === 'signedOut' ? children : null;
}
