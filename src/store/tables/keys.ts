/** The signing keys of access and refresh tokens. */
import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

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
