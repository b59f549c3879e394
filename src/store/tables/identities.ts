/** Identities at external providers (OAuth / OpenID Connect), linked to accounts. */
import { boolean, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts.js';
import { ts } from './columns.js';

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
