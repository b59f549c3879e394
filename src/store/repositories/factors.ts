/** TOTP factors and recovery codes (see auth/factorPorts.ts). */
import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { FactorStore } from '../../auth/factorPorts.js';
import type { Executor } from '../db.js';
import { passkeys, recoveryCodes, totpFactors } from '../schema.js';

export function factorsRepository(db: Executor): FactorStore {
  return {
    async summary(userId) {
      const result = await db.execute(sql`
        select exists (select 1 from ${totpFactors} where user_id = ${userId} and enabled_at is not null) as totp,
               (select count(*) from ${passkeys} where user_id = ${userId}) as passkeys,
               (select count(*) from ${recoveryCodes} where user_id = ${userId} and used_at is null) as recovery`);
      const [row] = (
        result as unknown as { rows: { totp: boolean; passkeys: number | string; recovery: number | string }[] }
      ).rows;
      return { totp: Boolean(row.totp), passkeys: Number(row.passkeys), recoveryCodesLeft: Number(row.recovery) };
    },
    async totp(userId) {
      const rows = await db.select().from(totpFactors).where(eq(totpFactors.userId, userId)).limit(1);
      return rows[0];
    },
    async savePendingTotp(userId, secret, now) {
      const rows = await db
        .insert(totpFactors)
        .values({ userId, secret, createdAt: now })
        .onConflictDoUpdate({
          target: totpFactors.userId,
          set: { secret, createdAt: now, lastStep: null },
          setWhere: isNull(totpFactors.enabledAt),
        })
        .returning({ userId: totpFactors.userId });
      return rows.length > 0;
    },
    async enableTotp(userId, step, now) {
      const rows = await db
        .update(totpFactors)
        .set({ enabledAt: now, lastStep: step })
        .where(and(eq(totpFactors.userId, userId), isNull(totpFactors.enabledAt)))
        .returning({ userId: totpFactors.userId });
      return rows.length > 0;
    },
    async useTotpStep(userId, step) {
      const rows = await db
        .update(totpFactors)
        .set({ lastStep: step })
        .where(
          and(
            eq(totpFactors.userId, userId),
            isNotNull(totpFactors.enabledAt),
            or(isNull(totpFactors.lastStep), lt(totpFactors.lastStep, step)),
          ),
        )
        .returning({ userId: totpFactors.userId });
      return rows.length > 0;
    },
    async removeTotp(userId) {
      const rows = await db
        .delete(totpFactors)
        .where(eq(totpFactors.userId, userId))
        .returning({ userId: totpFactors.userId });
      return rows.length > 0;
    },
    async replaceRecoveryCodes(userId, codes, now) {
      await db.transaction(async (tx) => {
        await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
        if (codes.length) await tx.insert(recoveryCodes).values(codes.map((c) => ({ userId, ...c, createdAt: now })));
      });
    },
    async unusedRecoveryCodes(userId) {
      return db
        .select({ id: recoveryCodes.id, salt: recoveryCodes.salt, codeHash: recoveryCodes.codeHash })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
    },
    async useRecoveryCode(id, now) {
      const rows = await db
        .update(recoveryCodes)
        .set({ usedAt: now })
        .where(and(eq(recoveryCodes.id, id), isNull(recoveryCodes.usedAt)))
        .returning({ id: recoveryCodes.id });
      return rows.length > 0;
    },
    async removeRecoveryCodes(userId) {
      await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    },
  };
}
