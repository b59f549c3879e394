/**
 * The account's own operations and administration for the client (API.md §10), each named as
 * its GraphQL field. `deleteAccount` signs every tab out, as `logout` does, with the reason
 * `ACCOUNT_DELETED`.
 */
import { fieldOf, userFieldOf } from './field.js';
import { USER_FIELDS, type LatchkeyUser } from './user.js';

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

/** A session as an admin (or its owner) sees it. */
export interface UserSession {
  id: string;
  current: boolean;
  rememberMe: boolean;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}

/** A user as the admin pages show it. */
export interface AdminUser extends LatchkeyUser {
  createdAt: string;
  lastLoginAt: string | null;
  roles: string[];
  isActive: boolean;
}

/** One user with their sessions and security overview (`user(id)`). */
export interface AdminUserDetail extends AdminUser {
  sessions: UserSession[];
  security: {
    passwordSet: boolean;
    totpEnabled: boolean;
    recoveryCodesLeft: number;
    lastAuthenticatedAt: string;
    passkeys: { id: string; name: string; createdAt: string; lastUsedAt: string | null; backedUp: boolean }[];
  };
}

export interface AuditEvent {
  id: string;
  type: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  at: string;
  detail: unknown;
}

export interface AccountMethods {
  /** Needs a recent sign-in (else REAUTH_REQUIRED); mails a code to the new address; EMAIL_TAKEN when taken. */
  requestEmailChange(newEmail: string): Promise<boolean>;
  /** The code from the new address; the signed-in user as they now are. */
  confirmEmailChange(code: string): Promise<LatchkeyUser>;
  /** Needs a recent sign-in. Deletes everything of the account and signs every tab out (reason ACCOUNT_DELETED). */
  deleteAccount(): Promise<boolean>;
  /** Everything the server stores about the signed-in person, as JSON. */
  exportMyData(): Promise<Record<string, unknown>>;
  // Admins only (FORBIDDEN otherwise):
  users(input?: { search?: string; first?: number; after?: string | null }): Promise<Connection<AdminUser>>;
  user(id: string): Promise<AdminUserDetail | null>;
  auditEvents(input?: {
    userId?: string;
    type?: string;
    first?: number;
    after?: string | null;
  }): Promise<Connection<AuditEvent>>;
  setUserRoles(id: string, roles: string[]): Promise<AdminUser>;
  deactivateUser(id: string): Promise<AdminUser>;
  reactivateUser(id: string): Promise<AdminUser>;
  unlockUser(id: string): Promise<boolean>;
  revokeUserSessions(id: string): Promise<number>;
  revokeUserSession(sessionId: string): Promise<boolean>;
}

interface Deps {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Sign this tab and every other out with `reason`. */
  signOut(reason: string): void;
  /** The cached user changed (a new address). */
  setUser(user: LatchkeyUser): void;
}

const ADMIN_USER_FIELDS = `${USER_FIELDS} createdAt lastLoginAt roles isActive`;
export const SESSION_FIELDS = 'id current rememberMe createdAt lastUsedAt expiresAt userAgent ip';
const DETAIL_FIELDS = `${ADMIN_USER_FIELDS} sessions { ${SESSION_FIELDS} } security { passwordSet totpEnabled recoveryCodesLeft lastAuthenticatedAt passkeys { id name createdAt lastUsedAt backedUp } }`;
const AUDIT_FIELDS = 'id type userId actorId ip userAgent at detail';
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

export function accountMethods({ request, signOut, setUser }: Deps): AccountMethods {
  const one = fieldOf(request);
  const userField = userFieldOf(request, setUser);
  return {
    requestEmailChange: (newEmail) =>
      one('requestEmailChange', 'mutation LatchkeyEmailChange($e: String!) { requestEmailChange(newEmail: $e) }', {
        e: newEmail,
      }),
    confirmEmailChange: (code) =>
      userField(
        'confirmEmailChange',
        `mutation LatchkeyEmailChanged($c: String!) { confirmEmailChange(code: $c) { ${USER_FIELDS} } }`,
        { c: code },
      ),
    async deleteAccount() {
      const done = await one<boolean>('deleteAccount', 'mutation LatchkeyDeleteAccount { deleteAccount }');
      signOut('ACCOUNT_DELETED');
      return done;
    },
    exportMyData: () => one('exportMyData', 'query LatchkeyExport { exportMyData }'),
    users: ({ search, first, after } = {}) =>
      one(
        'users',
        `query LatchkeyUsers($s: String, $f: Int, $a: String) { users(search: $s, first: $f, after: $a) { edges { cursor node { ${ADMIN_USER_FIELDS} } } ${PAGE_INFO} } }`,
        { s: search, f: first, a: after },
      ),
    user: (id) => one('user', `query LatchkeyUser($id: ID!) { user(id: $id) { ${DETAIL_FIELDS} } }`, { id }),
    auditEvents: ({ userId, type, first, after } = {}) =>
      one(
        'auditEvents',
        `query LatchkeyAudit($u: ID, $t: String, $f: Int, $a: String) { auditEvents(userId: $u, type: $t, first: $f, after: $a) { edges { cursor node { ${AUDIT_FIELDS} } } ${PAGE_INFO} } }`,
        { u: userId, t: type, f: first, a: after },
      ),
    setUserRoles: (id, roles) =>
      one(
        'setUserRoles',
        `mutation LatchkeySetRoles($id: ID!, $r: [String!]!) { setUserRoles(id: $id, roles: $r) { ${ADMIN_USER_FIELDS} } }`,
        { id, r: roles },
      ),
    deactivateUser: (id) =>
      one(
        'deactivateUser',
        `mutation LatchkeyDeactivate($id: ID!) { deactivateUser(id: $id) { ${ADMIN_USER_FIELDS} } }`,
        { id },
      ),
    reactivateUser: (id) =>
      one(
        'reactivateUser',
        `mutation LatchkeyReactivate($id: ID!) { reactivateUser(id: $id) { ${ADMIN_USER_FIELDS} } }`,
        { id },
      ),
    unlockUser: (id) => one('unlockUser', 'mutation LatchkeyUnlock($id: ID!) { unlockUser(id: $id) }', { id }),
    revokeUserSessions: (id) =>
      one('revokeUserSessions', 'mutation LatchkeyRevokeAll($id: ID!) { revokeUserSessions(id: $id) }', { id }),
    revokeUserSession: (sessionId) =>
      one('revokeUserSession', 'mutation LatchkeyRevokeOne($s: ID!) { revokeUserSession(sessionId: $s) }', {
        s: sessionId,
      }),
  };
}
