/**
 * What the domain needs from storage, declared by the domain: the plain rows it
 * reads and writes, and one interface per area. `src/store/` implements these
 * (its repositories are type-checked against them); nothing here knows SQL.
 */
import type { AccountStore, AdminStore, RolesStore } from './accountPorts.js';
import type { ChallengeStore, FactorStore, PasskeyStore } from './factorPorts.js';

export interface User {
  id: string;
  email: string;
  username: string | null;
  passwordHash: string | null;
  emailVerifiedAt: Date | null;
  isActive: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
  passwordChangedAt: Date | null;
}

export interface Profile {
  userId: string;
  displayName: string | null;
  bio: string | null;
  avatarUrl: string | null;
  updatedAt: Date;
}

export interface UserWithProfile {
  user: User;
  profile: Profile | null;
}

export interface NewUser {
  email: string;
  username?: string | null;
  passwordHash: string | null;
  displayName?: string | null;
  createdAt: Date;
  emailVerifiedAt?: Date | null;
}

export type ProfilePatch = Partial<Pick<Profile, 'displayName' | 'bio' | 'avatarUrl'>>;

export interface UsersRepository {
  /** Insert a user and an empty profile together; which unique field was taken otherwise. */
  create(input: NewUser): Promise<{ user: User } | { taken: 'email' | 'username' }>;
  /** By the canonical address (src/auth/email.ts), matched exactly. */
  findByEmail(email: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  /** Users with their profiles (null when none), one query for any number of ids. */
  withProfiles(ids: readonly string[]): Promise<UserWithProfile[]>;
  /** `changedAt` null: a rehash of the same password (the change time stays). */
  setPasswordHash(id: string, passwordHash: string, changedAt: Date | null): Promise<void>;
  setActive(id: string, isActive: boolean): Promise<void>;
  /** Drop the password: the address was proven by someone else than who set it. */
  clearPassword(id: string): Promise<void>;
  /** Stamps the first verification only; the user after it. */
  markEmailVerified(id: string, at: Date): Promise<User | undefined>;
  updateProfile(userId: string, patch: ProfilePatch, at: Date): Promise<Profile>;
}

/** A session: one refresh-token family. */
export interface Session {
  id: string;
  userId: string;
  rememberMe: boolean;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokeReason: string | null;
  userAgent: string | null;
  ip: string | null;
  /** The last real sign-in (never a refresh); null on rows older than the column: createdAt stands in. */
  authenticatedAt: Date | null;
  /** RFC 8176 methods of that sign-in. */
  amr: string[] | null;
}

export interface RefreshTokenRow {
  jti: string;
  sessionId: string;
  issuedAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  replacedBy: string | null;
}

export interface NewToken {
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * The successor of a rotated token: its id, its issue time, and its expiry for a session
 * with and without remember-me (`refreshExpiry` computed both; the statement picks the
 * session's and caps it at the session's end, which only it knows in that round trip).
 */
export interface Successor {
  jti: string;
  issuedAt: Date;
  expiresAt: { rememberMe: Date; plain: Date };
}

export type NewSession = Omit<Session, 'lastUsedAt' | 'revokedAt' | 'revokeReason'>;

export type RotateResult =
  | { kind: 'rotated'; session: Session; token: RefreshTokenRow; roles: string[] }
  /** The token could not be rotated; here is what the database knows about it, and its time then (ms). */
  | { kind: 'refused'; token: RefreshTokenRow; session: Session; userActive: boolean; nowMs: number }
  | { kind: 'unknown' };

/** A revoked session as the revocation poll sees it: its place in the order, and how long its access tokens may live on. */
export interface RevocationRow {
  id: string;
  seq: number;
  /** ms from the database's now until every access token of the session has expired (≤ 0: already). */
  remainingMs: number;
}

/**
 * How a statement reads the time: `at` pins it (a test's manual clock, see `pinnedTime`);
 * null is the database's own clock when the statement runs.
 */
export type PinnedTime = string | null;

/** A live session with its current refresh token's expiry. */
export interface LiveSession extends Session {
  tokenExpiresAt: Date;
}

export interface SessionsRepository {
  /** The session, its first token, the user's last-login stamp and the audit event, together; false (nothing written) when the user is gone. */
  signIn(session: NewSession, token: NewToken, event: NewAuditEvent): Promise<boolean>;
  /**
   * Rotate `jti` atomically: one guarded statement (see the store), on the database's clock,
   * doing nothing once `deadline` has passed; `event` (the refresh's audit row) is written by it.
   */
  rotate(
    jti: string,
    next: Successor,
    opts: { at: PinnedTime; deadline: Date; event: NewAuditEvent },
  ): Promise<RotateResult>;
  /** The session's one unused refresh token (the head of its chain). */
  currentToken(sessionId: string): Promise<RefreshTokenRow | undefined>;
  /** A refresh token's row and its session, if both are still stored. */
  findToken(jti: string): Promise<{ token: RefreshTokenRow; session: Session } | undefined>;
  /** Revoke one session (if still live); returns it when this call revoked it. */
  revoke(id: string, reason: string, at: PinnedTime, userId?: string): Promise<Session | undefined>;
  /** Revoke every live session of a user, optionally keeping one; the ids revoked. */
  revokeAllForUser(userId: string, reason: string, at: PinnedTime, exceptId?: string): Promise<string[]>;
  listLive(userId: string, now: Date): Promise<LiveSession[]>;
  /** Revocations numbered after `cursor`, or (null) all whose tokens may live `lifetimeMs` after them. */
  revocationsAfter(cursor: number | null, lifetimeMs: number, at: PinnedTime): Promise<RevocationRow[]>;
  /** The number of the last revocation (0: none). */
  lastRevocation(): Promise<number>;
  findById(id: string): Promise<Session | undefined>;
  /** A real sign-in on a live session of this user (reauthentication): its time and methods; undefined if not live. */
  markAuthenticated(id: string, userId: string, at: Date, amr: string[]): Promise<Session | undefined>;
  /** Delete tokens expired before `before` and dead sessions, keeping those revoked after `revokedAfter`. */
  flushExpired(before: Date, revokedAfter: Date): Promise<{ sessions: number; refreshTokens: number }>;
}

export interface NewAuditEvent {
  userId?: string | null;
  /** The admin who acted on `userId` (admin operations). */
  actorId?: string | null;
  type: string;
  ip?: string | null;
  userAgent?: string | null;
  at: Date;
  detail?: unknown;
}

export interface AuditRepository {
  record(event: NewAuditEvent): Promise<void>;
}

export interface OtpCode {
  id: string;
  userId: string | null;
  email: string;
  purpose: string;
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
  attempts: number;
  consumedAt: Date | null;
}

export type NewOtp = Omit<OtpCode, 'id' | 'attempts' | 'consumedAt' | 'userId'> & { userId?: string | null };

export interface OtpRepository {
  /** Store a new code; the live code of the same email and purpose, and the account's (`userId`) of that purpose, stop working. */
  issue(code: NewOtp): Promise<OtpCode>;
  /** Count one attempt against the live code and return it; undefined when there is none. */
  reserveAttempt(email: string, purpose: string, now: Date, maxAttempts: number): Promise<OtpCode | undefined>;
  /** Mark a code used; false when another request used it first. */
  consume(id: string, at: Date): Promise<boolean>;
  /** End every live code of an account (by user id, or by its address for codes asked before it existed). */
  invalidateAll(userId: string, email: string, at: Date): Promise<number>;
  deleteExpired(before: Date): Promise<number>;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  use: string;
  publicJwk: unknown;
  /** A private JWK as JSON, or its sealed form (`enc:…`). */
  privateJwk: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRow, 'retiredAt'> & { retiredAt?: Date | null };

export interface KeysRepository {
  all(): Promise<SigningKeyRow[]>;
  /** Insert `key` unless an active key of its use and alg exists; the active key. */
  ensureActive(key: NewSigningKey): Promise<SigningKeyRow>;
  /** Replace a plaintext private JWK by its sealed form (once). */
  sealPrivate(kid: string, sealed: string): Promise<void>;
  /** Make `key` the active key of its use, retiring the others. */
  rotate(key: NewSigningKey, now: Date): Promise<{ active: SigningKeyRow; retired: string[] }>;
}

/** An account's identity at an external provider (§9.1). */
export interface IdentityRow {
  id: string;
  userId: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  linkedAt: Date;
  lastUsedAt: Date | null;
}

export type NewIdentity = Omit<IdentityRow, 'id' | 'userId' | 'lastUsedAt'>;

export interface IdentitiesRepository {
  findBySubject(issuer: string, subject: string): Promise<IdentityRow | undefined>;
  listForUser(userId: string): Promise<IdentityRow[]>;
  /** Link to an existing account; `taken` when this issuer + subject already belongs to an account. */
  link(userId: string, identity: NewIdentity): Promise<{ identity: IdentityRow } | { taken: true }>;
  /**
   * A new account (its profile) and its identity in one transaction: nothing is left when either
   * insert fails. `taken` names what another account already holds.
   */
  createUserWithIdentity(
    user: NewUser,
    identity: NewIdentity,
  ): Promise<{ user: User; identity: IdentityRow } | { taken: 'email' | 'username' | 'identity' }>;
  /** Stamp a sign-in and what the provider asserted this time. */
  markUsed(id: string, at: Date, email: string | null, emailVerified: boolean): Promise<void>;
  /** Remove one identity of this account; false when there is none such. */
  remove(userId: string, id: string): Promise<boolean>;
}

export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  keys: KeysRepository;
  audit: AuditRepository;
  otp: OtpRepository;
  challenges: ChallengeStore;
  factors: FactorStore;
  passkeys: PasskeyStore;
  identities: IdentitiesRepository;
  roles: RolesStore;
  admin: AdminStore;
  account: AccountStore;
}
