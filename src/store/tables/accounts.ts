/** The account tables: users, their profiles and the roles granted to them. */
import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

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
