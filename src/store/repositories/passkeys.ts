/** Passkeys (WebAuthn credentials) of accounts (see auth/factorPorts.ts). */
import { and, asc, eq } from 'drizzle-orm';
import type { PasskeyRow, PasskeyStore } from '../../auth/factorPorts.js';
import type { Executor } from '../db.js';
import { passkeys } from '../schema.js';

export function passkeysRepository(db: Executor): PasskeyStore {
  return {
    async add(p) {
      const rows = await db.insert(passkeys).values(p).onConflictDoNothing().returning();
      return rows[0] as PasskeyRow | undefined;
    },
    async byCredentialId(credentialId) {
      const rows = await db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId)).limit(1);
      return rows[0] as PasskeyRow | undefined;
    },
    async listForUser(userId) {
      return (await db
        .select()
        .from(passkeys)
        .where(eq(passkeys.userId, userId))
        .orderBy(asc(passkeys.createdAt))) as PasskeyRow[];
    },
    async recordUse(id, counter, backedUp, now) {
      await db.update(passkeys).set({ counter, backedUp, lastUsedAt: now }).where(eq(passkeys.id, id));
    },
    async rename(id, userId, name) {
      const rows = await db
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning();
      return rows[0] as PasskeyRow | undefined;
    },
  };
}
