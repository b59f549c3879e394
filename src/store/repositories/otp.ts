/**
 * One-time codes (hashed). Issuing supersedes the live code of the same email
 * and purpose, and the account's live code of that purpose (an email change
 * mailed to another address), in the same transaction, under a lock on each
 * pair, so there is never more than one live code for either; a check first reserves an attempt with
 * one guarded UPDATE, so parallel guesses cannot exceed the attempt limit,
 * and consuming is `UPDATE … WHERE consumed_at IS NULL`, so a code works once.
 */
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { NewOtp, OtpCode, OtpRepository } from '../../auth/ports.js';
import type { Executor } from '../db.js';
import { otpCodes } from '../schema.js';

// Emails arrive in their canonical form (src/auth/email.ts): matched exactly.
const sameEmail = (email: string) => eq(otpCodes.email, email);

export function otpRepository(db: Executor): OtpRepository {
  return {
    /** Store a new code; any live code for this email and purpose, or this account and purpose, stops working. */
    async issue(code: NewOtp): Promise<OtpCode> {
      return db.transaction(async (tx) => {
        // One issue at a time per email and purpose, and per account and purpose: two simultaneous
        // requests must not both find nothing to supersede and leave two live codes. (Held until the
        // transaction ends; in one statement, the address's lock always first, so no two issues deadlock.)
        const byAccount = code.userId
          ? sql`, pg_advisory_xact_lock(hashtextextended('user:' || ${code.userId} || ':' || ${code.purpose}, 0))`
          : sql``;
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtextextended(${code.email} || ':' || ${code.purpose}, 0))${byAccount}`,
        );
        const mine = code.userId ? or(sameEmail(code.email), eq(otpCodes.userId, code.userId)) : sameEmail(code.email);
        await tx
          .update(otpCodes)
          .set({ consumedAt: code.createdAt })
          .where(and(mine, eq(otpCodes.purpose, code.purpose), isNull(otpCodes.consumedAt)));
        const rows = await tx.insert(otpCodes).values(code).returning();
        return rows[0];
      });
    },

    /**
     * Count one attempt against the live code for this email and purpose and
     * return it — or undefined when there is none (never issued, used,
     * superseded, expired, or out of attempts).
     */
    async reserveAttempt(email: string, purpose: string, now: Date, maxAttempts: number): Promise<OtpCode | undefined> {
      const live = db
        .select({ id: otpCodes.id })
        .from(otpCodes)
        .where(
          and(
            sameEmail(email),
            eq(otpCodes.purpose, purpose),
            isNull(otpCodes.consumedAt),
            sql`${otpCodes.expiresAt} > ${now.toISOString()}::timestamptz`,
          ),
        )
        .orderBy(sql`${otpCodes.createdAt} desc`)
        .limit(1);
      const rows = await db
        .update(otpCodes)
        .set({ attempts: sql`${otpCodes.attempts} + 1` })
        .where(and(sql`${otpCodes.id} = (${live})`, lt(otpCodes.attempts, maxAttempts), isNull(otpCodes.consumedAt)))
        .returning();
      return rows[0];
    },

    /** Mark a code used; false when another request used it first. */
    async consume(id: string, at: Date): Promise<boolean> {
      const rows = await db
        .update(otpCodes)
        .set({ consumedAt: at })
        .where(and(eq(otpCodes.id, id), isNull(otpCodes.consumedAt)))
        .returning({ id: otpCodes.id });
      return rows.length === 1;
    },

    /**
     * End every live code of an account (its user id, or its address for codes asked
     * before it existed): after a password change or reset no older code may still work.
     */
    async invalidateAll(userId: string, email: string, at: Date): Promise<number> {
      const rows = await db
        .update(otpCodes)
        .set({ consumedAt: at })
        .where(and(or(eq(otpCodes.userId, userId), sameEmail(email)), isNull(otpCodes.consumedAt)))
        .returning({ id: otpCodes.id });
      return rows.length;
    },

    /** Delete codes that expired before `before` (flush job). */
    async deleteExpired(before: Date): Promise<number> {
      const rows = await db.delete(otpCodes).where(lt(otpCodes.expiresAt, before)).returning({ id: otpCodes.id });
      return rows.length;
    },
  };
}
