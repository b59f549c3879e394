/** Signing keys as stored: public JWK, private JWK (possibly encrypted), lifetime. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { KeysRepository, NewSigningKey, SigningKeyRow } from '../../auth/ports.js';
import type { Executor } from '../db.js';
import { signingKeys } from '../schema.js';

export function keysRepository(db: Executor): KeysRepository {
  return {
    async all(): Promise<SigningKeyRow[]> {
      return db.select().from(signingKeys);
    },

    /**
     * Insert `key` unless an active key of the same use and alg already exists
     * (two instances starting at once must not both create one). Returns the active key.
     */
    async ensureActive(key: NewSigningKey): Promise<SigningKeyRow> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`latchkey-keys:${key.use}`}))`);
        const existing = await tx
          .select()
          .from(signingKeys)
          .where(and(eq(signingKeys.use, key.use), eq(signingKeys.alg, key.alg), isNull(signingKeys.retiredAt)))
          .limit(1);
        if (existing[0]) return existing[0];
        const [row] = await tx.insert(signingKeys).values(key).returning();
        return row;
      });
    },

    /** Replace a plaintext private JWK by its encrypted form (once: a row already encrypted is left alone). */
    async sealPrivate(kid: string, sealed: string): Promise<void> {
      await db
        .update(signingKeys)
        .set({ privateJwk: sealed })
        .where(and(eq(signingKeys.kid, kid), sql`${signingKeys.privateJwk} not like 'enc:%'`));
    },

    /** Make `key` the active key of its use: retire every other active key of that use. */
    async rotate(key: NewSigningKey, now: Date): Promise<{ active: SigningKeyRow; retired: string[] }> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`latchkey-keys:${key.use}`}))`);
        const retired = await tx
          .update(signingKeys)
          .set({ retiredAt: now })
          .where(and(eq(signingKeys.use, key.use), isNull(signingKeys.retiredAt)))
          .returning({ kid: signingKeys.kid });
        const [active] = await tx.insert(signingKeys).values(key).returning();
        return { active, retired: retired.map((r) => r.kid) };
      });
    },
  };
}
