/** The short-lived, single-use secrets: one-time codes sent by mail and sign-in challenges. */
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts.js';
import { ts } from './columns.js';

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
