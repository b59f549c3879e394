/**
 * The one database schema (Drizzle pg-core), shared by PGlite and PostgreSQL: every table,
 * gathered from `tables/` (one file per table group). Migrations in `store/migrations/` are
 * generated from this file by drizzle-kit (`npm run db:generate`) and committed, and the
 * store reads it as one namespace (`import * as schema`), so a table not exported here has
 * no migration and no place in the database's type.
 */
export * from './tables/accounts.js';
export * from './tables/sessions.js';
export * from './tables/codes.js';
export * from './tables/keys.js';
export * from './tables/audit.js';
export * from './tables/factors.js';
export * from './tables/identities.js';
export * from './tables/webhooks.js';
