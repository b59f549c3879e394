/**
 * Roles (API.md §10.2): what an account may do beyond its own, carried in the access token's
 * `roles` claim. `admin` is the one Latchkey itself knows; it comes from ADMIN_EMAILS (once the
 * address is verified: at the proof, or at any later sign-in) or from the command line.
 * A change reaches the token at the next refresh (the rotation reads the roles with it).
 *
 * @example
 *   const roles = await roles.atSignIn(user.id);   // ['admin'] for a verified address in ADMIN_EMAILS
 *   await roles.requireAdmin(viewer.userId);        // or FORBIDDEN
 */
import type { RolesStore } from './accountPorts.js';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';
import type { User } from './ports.js';

export const ADMIN = 'admin';

/** A role name: short, lower case, no spaces (it travels in every token). */
const ROLE = /^[a-z][a-z0-9_.:-]{0,63}$/;
/** More roles than this per account is a mistake, and a token that keeps growing. */
export const MAX_ROLES = 20;

export function checkRoles(roles: readonly string[]): string[] {
  const unique = [...new Set(roles.map((r) => r.trim()))];
  for (const role of unique) {
    if (!ROLE.test(role))
      throw new AuthError('BAD_USER_INPUT', `Role ${JSON.stringify(role)}: lower-case letters, digits and _ . : -`, {
        field: 'roles',
      });
  }
  if (unique.length > MAX_ROLES)
    throw new AuthError('BAD_USER_INPUT', `At most ${MAX_ROLES} roles`, { field: 'roles' });
  return unique.sort();
}

interface Deps {
  store: RolesStore;
  findUser(id: string): Promise<Pick<User, 'id' | 'email' | 'emailVerifiedAt' | 'isActive'> | undefined>;
  adminEmails: readonly string[];
  clock: Clock;
}

export function createRoles({ store, findUser, adminEmails, clock }: Deps) {
  const listed = new Set(adminEmails);
  /** ADMIN_EMAILS: a verified address in the list holds `admin` (granted once; taking it away later sticks until the next sign-in). */
  const grantListed = async (user: Pick<User, 'id' | 'email' | 'emailVerifiedAt'>) => {
    if (user.emailVerifiedAt && listed.has(user.email)) await store.grant(user.id, ADMIN, null, new Date(clock.now()));
  };
  return {
    of: (userId: string) => store.of(userId),

    /** The roles a new session's tokens carry; ADMIN_EMAILS is applied first. */
    async atSignIn(userId: string): Promise<string[]> {
      if (listed.size) {
        const user = await findUser(userId);
        if (user) await grantListed(user);
      }
      return store.of(userId);
    },

    /** An address has just been proven (verifyEmail, an email change): ADMIN_EMAILS applies now. */
    proven: (user: Pick<User, 'id' | 'email' | 'emailVerifiedAt'>) =>
      listed.size ? grantListed(user) : Promise.resolve(),

    /** FORBIDDEN unless the account is active and holds `admin` (read from the database: a demotion counts at once). */
    async requireAdmin(userId: string): Promise<void> {
      const [user, roles] = await Promise.all([findUser(userId), store.of(userId)]);
      if (!user?.isActive || !roles.includes(ADMIN)) throw new AuthError('FORBIDDEN', 'Only an admin may do this');
    },

    set: (userId: string, roles: readonly string[], by: string | null) =>
      store.set(userId, checkRoles(roles), by, new Date(clock.now())),
    grant: (userId: string, role: string, by: string | null) =>
      store.grant(userId, checkRoles([role])[0], by, new Date(clock.now())),
    revoke: (userId: string, role: string) => store.revoke(userId, role),
  };
}

export type Roles = ReturnType<typeof createRoles>;
