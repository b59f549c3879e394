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
  ],
);

export const profiles = pgTable('profiles', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  displayName: text('display_name'),
  bio: text('bio'),
  avatarUrl: text('avatar_url'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

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
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
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
    type: text('type').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    at: ts('at').notNull(),
    detail: jsonb('detail'),
  },
  (t) => [index('audit_events_user_idx').on(t.userId, t.at), index('audit_events_type_idx').on(t.type, t.at)],
);
