/** The session tables: sessions (refresh-token families), their refresh tokens and the revocation sequence. */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, jsonb, pgSequence, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

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
