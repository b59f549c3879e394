/**
 * The one database schema (Drizzle pg-core), shared by PGlite and PostgreSQL.
 * Migrations in `store/migrations/` are generated from this file by drizzle-kit
 * (`npm run db:generate`) and committed.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  bigint,
  bigserial,
  pgSequence,
  primaryKey,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    username: text('username'),
    passwordHash: text('password_hash'),
    emailVerifiedAt: ts('email_verified_at'),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastLoginAt: ts('last_login_at'),
    passwordChangedAt: ts('password_changed_at'),
  },
  (t) => [
    // The email is stored in its one canonical form (src/auth/email.ts) and matched exactly:
    // PostgreSQL's lower() folds some letters (İ → i) that the canonical form keeps apart.
    uniqueIndex('users_email_key').on(t.email),
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    // Admin search (`users(search:)`): ILIKE '%term%' over trigrams, fast at a million rows (migration 0005 loads pg_trgm).
    index('users_email_trgm_idx').using('gin', sql`${t.email} gin_trgm_ops`),
    index('users_username_trgm_idx').using('gin', sql`${t.username} gin_trgm_ops`),
    // The admin list's order (newest first, read backwards) and its keyset cursor.
    index('users_created_idx').on(t.createdAt, t.id),
  ],
);

export const profiles = pgTable(
  'profiles',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    displayName: text('display_name'),
    bio: text('bio'),
    avatarUrl: text('avatar_url'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('profiles_display_name_trgm_idx').using('gin', sql`${t.displayName} gin_trgm_ops`)],
);

/**
 * Numbers revocations in the order the database made them: instances follow it as a
 * cursor to learn of revocations made elsewhere, without comparing clocks.
 */
export const sessionRevocations = pgSequence('session_revocations');

/** A session is one refresh-token family. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /**
     * No foreign key: deleting an account keeps its sessions' revoked rows (without address or
     * user agent) until their access tokens expire, so the revocation poll and feed still see them.
     */
    userId: uuid('user_id').notNull(),
    rememberMe: boolean('remember_me').notNull(),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at').notNull(),
    /** Absolute end: no refresh extends a session past this. */
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokeReason: text('revoke_reason'),
    /** `nextval('session_revocations')` when revoked: the revocation poll's cursor. */
    revocationSeq: bigint('revocation_seq', { mode: 'number' }),
    userAgent: text('user_agent'),
    ip: text('ip'),
    /** The last real sign-in (a first factor, a completed second step, or reauthenticate); never a refresh. Null on rows older than this column: created_at stands in. */
    authenticatedAt: ts('authenticated_at'),
    /** RFC 8176 methods of that sign-in, e.g. ["pwd","otp","mfa"]. */
    amr: jsonb('amr').$type<string[]>(),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId),
    index('sessions_revoked_idx').on(t.revokedAt),
    index('sessions_revocation_seq_idx').on(t.revocationSeq),
  ],
);

/**
 * Every refresh token ever issued and not yet flushed. `used_at` set means the
 * token was rotated (blacklisted); `replaced_by` names its successor.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    jti: uuid('jti').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    issuedAt: ts('issued_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    replacedBy: uuid('replaced_by'),
  },
  (t) => [
    index('refresh_tokens_session_idx').on(t.sessionId),
    // At most one live (unused) token per session: a second rotation cannot slip in.
    uniqueIndex('refresh_tokens_one_live_per_session').on(t.sessionId).where(sql`${t.usedAt} is null`),
    index('refresh_tokens_expires_idx').on(t.expiresAt),
  ],
);

export const otpCodes = pgTable(
  'otp_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    purpose: text('purpose').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    consumedAt: ts('consumed_at'),
  },
  (t) => [index('otp_codes_email_purpose_idx').on(t.email, t.purpose), index('otp_codes_user_idx').on(t.userId)],
);

export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  /** `sign` keys sign access tokens; the `refresh` key (HS256) signs refresh tokens. */
  use: text('use').notNull(),
  publicJwk: jsonb('public_jwk'),
  /** JSON of the private JWK, or `enc:v1:…` when LATCHKEY_KEY_SECRET is set. */
  privateJwk: text('private_jwk').notNull(),
  createdAt: ts('created_at').notNull(),
  retiredAt: ts('retired_at'),
});

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id'),
    /** The admin who did it (admin operations); null when the user did it, or the command line. */
    actorId: uuid('actor_id'),
    type: text('type').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    at: ts('at').notNull(),
    detail: jsonb('detail'),
  },
  (t) => [index('audit_events_user_idx').on(t.userId, t.at), index('audit_events_type_idx').on(t.type, t.at)],
);

/**
 * Short-lived, single-use challenges of the sign-in steps, stored as a SHA-256 of the
 * value handed out: a second step after a first factor (`second_factor`), enrolment under
 * MFA_REQUIRED (`enrollment`), and the WebAuthn challenges of passkey ceremonies.
 */
export const authChallenges = pgTable(
  'auth_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    hash: text('hash').notNull(),
    kind: text('kind').notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** A WebAuthn challenge made for another challenge's step (the passkey as second step). */
    parentId: uuid('parent_id'),
    /** The session a ceremony belongs to (registration, reauthentication). */
    sessionId: uuid('session_id'),
    /** RFC 8176 methods already proven (the first factor's). */
    amr: jsonb('amr').$type<string[]>(),
    rememberMe: boolean('remember_me').notNull().default(false),
    /** Enrolment under MFA_REQUIRED has proven a new factor: completeSignIn may open the session. */
    provenAt: ts('proven_at'),
    failures: integer('failures').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    consumedAt: ts('consumed_at'),
  },
  (t) => [uniqueIndex('auth_challenges_hash_key').on(t.hash), index('auth_challenges_expires_idx').on(t.expiresAt)],
);

/** One TOTP factor per account; `enabledAt` null while enrolment awaits its first code. */
export const totpFactors = pgTable('totp_factors', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** Base32 secret, or `enc:v1:…` when LATCHKEY_KEY_SECRET is set. */
  secret: text('secret').notNull(),
  createdAt: ts('created_at').notNull(),
  enabledAt: ts('enabled_at'),
  /** The last accepted time step: a code of this step or an earlier one is refused (replay). */
  lastStep: bigint('last_step', { mode: 'number' }),
});

/** Recovery codes, hashed (scrypt with the set's salt); each usable once. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    salt: text('salt').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
);

export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** base64url credential id. */
    credentialId: text('credential_id').notNull(),
    /** base64url COSE public key. */
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull().default(0),
    transports: jsonb('transports').$type<string[]>(),
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull(),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [uniqueIndex('passkeys_credential_key').on(t.credentialId), index('passkeys_user_idx').on(t.userId)],
);

/**
 * An account's identity at an external provider (§9.1). One issuer + subject belongs to
 * one account; `email` and `emailVerified` are what the provider asserted at the last sign-in.
 */
export const identities = pgTable(
  'identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The provider's id in OAUTH_PROVIDERS (`google`, `github`, `acme`). */
    provider: text('provider').notNull(),
    /** The OpenID Connect issuer, or the preset's fixed one for plain OAuth 2.0 (`https://github.com`). */
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    email: text('email'),
    emailVerified: boolean('email_verified').notNull().default(false),
    linkedAt: ts('linked_at').notNull(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [
    uniqueIndex('identities_issuer_subject_key').on(t.issuer, t.subject),
    index('identities_user_idx').on(t.userId),
  ],
);

/** Roles granted to an account (§10.2); `admin` is the one Latchkey itself knows. */
export const userRoles = pgTable(
  'user_roles',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    grantedAt: ts('granted_at').notNull(),
    /** The admin who granted it; null for ADMIN_EMAILS and the command line. */
    grantedBy: uuid('granted_by'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.role] })],
);

/**
 * Webhook deliveries (§10.3), one row per event and endpoint, written in the transaction
 * of the change. `id` is the Standard Webhooks `webhook-id`, the same on every retry.
 * A worker claims due rows with FOR UPDATE SKIP LOCKED and moves `next_attempt_at`
 * forward as its lease, so no two instances post one row at once.
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    url: text('url').notNull(),
    /** The event type, e.g. `user.created`. */
    event: text('event').notNull(),
    /** The body as sent: `{type, timestamp, data}`. Never a secret. */
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    deliveredAt: ts('delivered_at'),
    /** Set when retries ran out (24 h); `latchkey webhooks retry ID` clears it. */
    failedAt: ts('failed_at'),
    lastError: text('last_error'),
  },
  (t) => [
    index('webhook_outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null and ${t.failedAt} is null`),
  ],
);
