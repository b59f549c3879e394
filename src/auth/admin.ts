/**
 * Administration (API.md §10.2): the user list and audit log with Relay cursors, roles,
 * deactivation, unlocking and ending sessions. Every operation checks that the caller is an
 * active admin (FORBIDDEN otherwise) and every change writes an audit event naming the admin
 * (`actorId`). The command line calls the same operations with no admin (`actor: null`).
 *
 * @example
 *   const page = await admin.users(viewer.userId, { search: 'ada', first: 50, after: null });
 *   await admin.deactivateUser(viewer.userId, userId, meta);
 */
import type { Accounts } from './accounts.js';
import type { AdminStore, AuditEventRow, UserListRow } from './accountPorts.js';
import type { Audit, RequestMeta } from './audit.js';
import { AuthError } from './errors.js';
import type { Limits } from './limits.js';
import { passkeyLimitKey } from './passkeys.js';
import type { Repositories, User } from './ports.js';
import { ADMIN, type Roles } from './roles.js';
import type { Sessions } from './sessions.js';

/** Page sizes: `first` defaults to 50 (API.md §10.2) and may not exceed this. */
export const MAX_PAGE = 100;
/** A search term longer than this is no search anyone types. */
const MAX_SEARCH = 200;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const badCursor = () => new AuthError('BAD_USER_INPUT', 'after is not a cursor this list gave', { field: 'after' });

/** Cursors are opaque to clients: base64url of the keyset position. */
const encodeCursor = (parts: (string | number)[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
function decodeCursor(cursor: string): unknown[] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value)) return value;
  } catch {
    // falls through
  }
  throw badCursor();
}

function pageSize(first: number | null | undefined): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw new AuthError('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE}`, { field: 'first' });
  return n;
}

/** Fetch one more than asked: whether there is a next page, without counting. */
function page<T>(rows: T[], size: number, cursorOf: (row: T) => string): Page<T> {
  const shown = rows.slice(0, size);
  const edges = shown.map((node) => ({ cursor: cursorOf(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Deps {
  store: AdminStore;
  repos: Pick<Repositories, 'users' | 'sessions' | 'passkeys'>;
  roles: Roles;
  sessions: Sessions;
  limits: Limits;
  audit: Audit;
  accounts: Pick<Accounts, 'deactivateAccount'>;
}

export function createAdmin({ store, repos, roles, sessions, limits, audit, accounts }: Deps) {
  /** The admin's id after checking they are one; null (the command line) is trusted. */
  const allowed = async (actor: string | null) => {
    if (actor !== null) await roles.requireAdmin(actor);
  };
  const target = async (id: string): Promise<User> => {
    const user = await repos.users.findById(id);
    if (!user) throw new AuthError('BAD_USER_INPUT', 'No such user', { field: 'id' });
    return user;
  };

  return {
    /** FORBIDDEN unless `actor` is an active admin. */
    requireAdmin: (actor: string) => roles.requireAdmin(actor),

    async users(
      actor: string | null,
      args: { search?: string | null; first?: number | null; after?: string | null },
    ): Promise<Page<UserListRow>> {
      await allowed(actor);
      const size = pageSize(args.first);
      const search = args.search?.trim() || null;
      if (search && search.length > MAX_SEARCH)
        throw new AuthError('BAD_USER_INPUT', `search must be at most ${MAX_SEARCH} characters`, { field: 'search' });
      let after = null;
      if (args.after) {
        const [at, id] = decodeCursor(args.after);
        if (typeof at !== 'number' || typeof id !== 'string' || !UUID.test(id)) throw badCursor();
        after = { createdAt: new Date(at), id };
      }
      const rows = await store.users(search, size + 1, after);
      return page(rows, size, (r) => encodeCursor([r.user.createdAt.getTime(), r.user.id]));
    },

    async user(actor: string, id: string): Promise<User | undefined> {
      await allowed(actor);
      return repos.users.findById(id);
    },

    async auditEvents(
      actor: string,
      args: { userId?: string | null; type?: string | null; first?: number | null; after?: string | null },
    ): Promise<Page<AuditEventRow>> {
      await allowed(actor);
      const size = pageSize(args.first);
      let after: number | null = null;
      if (args.after) {
        const [id] = decodeCursor(args.after);
        if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw badCursor();
        after = id;
      }
      const rows = await store.auditEvents({ userId: args.userId ?? null, type: args.type ?? null }, size + 1, after);
      return page(rows, size, (r) => encodeCursor([r.id]));
    },

    async setUserRoles(actor: string | null, id: string, wanted: readonly string[], meta: RequestMeta): Promise<User> {
      await allowed(actor);
      const user = await target(id);
      // An admin cannot lock themself out by accident; the command line can always grant it back.
      if (actor === id && !wanted.map((r) => r.trim()).includes(ADMIN))
        throw new AuthError('BAD_USER_INPUT', 'You cannot take away your own admin role', { field: 'roles' });
      const { added, removed } = await roles.set(id, wanted, actor);
      if (added.length || removed.length) await audit.record('roles_changed', id, meta, { added, removed }, actor);
      return user;
    },

    /** `user role add|remove` of the command line. */
    async changeRole(email: string, role: string, add: boolean, meta: RequestMeta): Promise<boolean> {
      const user = await repos.users.findByEmail(email);
      if (!user) throw new AuthError('BAD_USER_INPUT', `No user with email ${email}`, { field: 'email' });
      const changed = add ? await roles.grant(user.id, role, null) : await roles.revoke(user.id, role);
      if (changed)
        await audit.record(
          'roles_changed',
          user.id,
          meta,
          add ? { added: [role], removed: [] } : { added: [], removed: [role] },
        );
      return changed;
    },

    async deactivateUser(actor: string | null, id: string, meta: RequestMeta): Promise<User> {
      await allowed(actor);
      const user = await target(id);
      if (actor === id) throw new AuthError('BAD_USER_INPUT', 'You cannot deactivate yourself', { field: 'id' });
      await accounts.deactivateAccount(user, meta, actor);
      return { ...user, isActive: false };
    },

    async reactivateUser(actor: string | null, id: string, meta: RequestMeta): Promise<User> {
      await allowed(actor);
      const user = await target(id);
      await repos.users.setActive(id, true);
      await audit.record('user_reactivated', id, meta, undefined, actor);
      return { ...user, isActive: true };
    },

    /**
     * Clears the account's sign-in, code and second-factor limits, in this process and in Redis:
     * those keyed by its email or id, and the failed-sign-in counter of each of its passkeys
     * (a passkey sign-in counts by credential, not by email).
     */
    async unlockUser(actor: string | null, id: string, meta: RequestMeta): Promise<true> {
      await allowed(actor);
      const user = await target(id);
      const passkeys = await repos.passkeys.listForUser(id);
      await Promise.all([
        limits.clear('loginAccount', user.email),
        ...passkeys.map((p) => limits.clear('loginAccount', passkeyLimitKey(p.credentialId))),
        limits.clear('otpRequestEmail', user.email),
        limits.clear('otpVerifyEmail', user.email),
        limits.clear('mfaAccount', user.id),
      ]);
      await audit.record('user_unlocked', id, meta, undefined, actor);
      return true;
    },

    async revokeUserSessions(actor: string | null, id: string, meta: RequestMeta): Promise<number> {
      await allowed(actor);
      await target(id);
      return sessions.revokeAll(id, { reason: 'admin', meta, actorId: actor });
    },

    async revokeUserSession(actor: string, sessionId: string, meta: RequestMeta): Promise<boolean> {
      await allowed(actor);
      const session = await repos.sessions.findById(sessionId);
      if (!session) return false;
      return sessions.revoke(sessionId, { reason: 'admin', meta, userId: session.userId, actorId: actor });
    },
  };
}
