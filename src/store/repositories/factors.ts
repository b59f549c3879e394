/** TOTP factors and recovery codes (see auth/factorPorts.ts). */
import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm';
import type { FactorStore } from '../../auth/factorPorts.js';
import { type Executor, preparedStatement } from '../db.js';
import { passkeys, recoveryCodes, totpFactors, users } from '../schema.js';

/** Whether a second step follows a sign-in, and with what: one row, also for an account that is gone. */
const SUMMARY = `select exists (select 1 from totp_factors where user_id = $1 and enabled_at is not null) as totp,
  (select count(*) from passkeys where user_id = $1)::int as passkeys,
  (select count(*) from recovery_codes where user_id = $1 and used_at is null)::int as recovery`;

export function factorsRepository(db: Executor): FactorStore {
  // Every sign-in asks it: prepared by name on each connection.
  const summaryOf = preparedStatement<{ totp: boolean; passkeys: number; recovery: number }>(
    db,
    'latchkey_factor_summary',
    SUMMARY,
  );

  return {
    async summary(userId) {
      const [row] = await summaryOf([userId]);
      return { totp: row.totp, passkeys: row.passkeys, recoveryCodesLeft: row.recovery };
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
    async removeFactor(userId, factor, keepOne) {
      return db.transaction(async (tx) => {
        // Every removal of this account's factors queues here until the one before has committed.
        await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
        const before = await factorsRepository(tx).summary(userId);
        const has = factor.kind === 'totp' ? before.totp : await ownsPasskey(tx, userId, factor.id);
        if (!has) {
          // A secret still waiting for its first code is not a factor: it just goes.
          if (factor.kind === 'totp') await tx.delete(totpFactors).where(eq(totpFactors.userId, userId));
          return 'absent';
        }
        const left = (before.totp ? 1 : 0) + before.passkeys - 1;
        if (keepOne && left < 1) return 'last';
        if (factor.kind === 'totp') await tx.delete(totpFactors).where(eq(totpFactors.userId, userId));
        else await tx.delete(passkeys).where(and(eq(passkeys.id, factor.id), eq(passkeys.userId, userId)));
        // Recovery codes are a way around a factor: with none left they go too.
        if (left < 1) await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
        return 'removed';
      });
    },
  };
}

async function ownsPasskey(db: Executor, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .select({ id: passkeys.id })
    .from(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .limit(1);
  return rows.length > 0;
}
