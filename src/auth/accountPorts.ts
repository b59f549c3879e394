/**
 * What the account's own operations (API.md §10.1), roles and administration (§10.2) need
 * from storage, declared by the domain like ports.ts; `src/store/` implements them.
 */
import type { PinnedTime, Profile, User } from './ports.js';

export interface RolesStore {
  /** The account's roles, sorted. */
  of(userId: string): Promise<string[]>;
  /** Replace the account's roles with `roles` in one transaction; what was added and removed. */
  set(
    userId: string,
    roles: readonly string[],
    grantedBy: string | null,
    at: Date,
  ): Promise<{ added: string[]; removed: string[] }>;
  /** Grant one role (no change if held); true when it was new. */
  grant(userId: string, role: string, grantedBy: string | null, at: Date): Promise<boolean>;
  /** Take one role away; true when it was held. */
  revoke(userId: string, role: string): Promise<boolean>;
}

/** A user as the admin list shows it. */
export interface UserListRow {
  user: User;
  profile: Profile | null;
}

/** A keyset position in the admin user list (newest first). */
export interface UserCursor {
  createdAt: Date;
  id: string;
}

export interface AuditEventRow {
  id: number;
  userId: string | null;
  actorId: string | null;
  type: string;
  ip: string | null;
  userAgent: string | null;
  at: Date;
  detail: unknown;
}

export interface AdminStore {
  /** Up to `limit` users after `after`, newest first; `search` matches email, username or display name (case-insensitive substring). */
  users(search: string | null, limit: number, after: UserCursor | null): Promise<UserListRow[]>;
  /** Audit events newest first (by id), after the event numbered `after`. */
  auditEvents(
    filter: { userId: string | null; type: string | null },
    limit: number,
    after: number | null,
  ): Promise<AuditEventRow[]>;
}

/** The outcome of the transaction that moves an account to its new address. */
export type EmailChangeResult = 'changed' | 'code_used' | 'taken' | 'gone';

/** Everything stored about one account, for `exportMyData` (secrets and hashes are never read). */
export interface AccountData {
  user: Omit<User, 'passwordHash'> & { passwordSet: boolean };
  profile: Profile | null;
  roles: { role: string; grantedAt: Date }[];
  sessions: {
    id: string;
    createdAt: Date;
    lastUsedAt: Date;
    expiresAt: Date;
    revokedAt: Date | null;
    revokeReason: string | null;
    rememberMe: boolean;
    userAgent: string | null;
    ip: string | null;
    authenticatedAt: Date | null;
    amr: string[] | null;
  }[];
  totp: { createdAt: Date; enabledAt: Date | null } | null;
  recoveryCodes: { createdAt: Date; usedAt: Date | null }[];
  passkeys: {
    id: string;
    name: string;
    deviceType: string;
    backedUp: boolean;
    transports: string[] | null;
    createdAt: Date;
    lastUsedAt: Date | null;
  }[];
  identities: {
    provider: string;
    issuer: string;
    subject: string;
    email: string | null;
    emailVerified: boolean;
    linkedAt: Date;
    lastUsedAt: Date | null;
  }[];
  oneTimeCodes: { purpose: string; email: string; createdAt: Date; expiresAt: Date; consumedAt: Date | null }[];
  auditEvents: Omit<AuditEventRow, 'userId'>[];
}

export interface AccountStore {
  /** The newest live EMAIL_CHANGE code of the account: the address it was sent to. */
  pendingEmailChange(userId: string, at: Date): Promise<string | undefined>;
  /**
   * In one transaction: use the code `codeId` (if still unused), move the account to `newEmail`
   * (verified at `at`), end every other live code of the account. Nothing changes unless all do.
   */
  changeEmail(userId: string, codeId: string, newEmail: string, at: Date): Promise<EmailChangeResult>;
  /**
   * In one transaction, everything of the account goes: its live sessions are revoked (numbered for
   * the revocation poll and feed) and every session row keeps only what refuses its tokens; refresh
   * tokens, codes, challenges, factors, passkeys, identities, roles, profile and the user row are
   * deleted; audit rows about it lose their address and user agent; `event` is written.
   * Returns the ids of the sessions this revoked, or undefined when there was no such user.
   */
  deleteAccount(
    userId: string,
    at: PinnedTime,
    event: { type: string; at: Date; detail: unknown },
  ): Promise<{ email: string; revoked: string[] } | undefined>;
  exportData(userId: string): Promise<AccountData | undefined>;
}
