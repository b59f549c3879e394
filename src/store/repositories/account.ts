/**
 * The account's own (API.md §10.1) in storage: the email change's transaction, the deletion of
 * everything of an account in one transaction, and the export of what is stored about it.
 */
import { and, asc, desc, eq, gt, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import type { AccountStore } from '../../auth/accountPorts.js';
import type { Executor } from '../db.js';
import {
  auditEvents,
  authChallenges,
  identities,
  otpCodes,
  passkeys,
  profiles,
  recoveryCodes,
  refreshTokens,
  sessions,
  totpFactors,
  userRoles,
  users,
  webhookOutbox,
} from '../schema.js';

const EMAIL_CHANGE = 'EMAIL_CHANGE';

/** PostgreSQL's unique_violation, however the driver (and Drizzle) wrap it. */
const isUniqueViolation = (e: unknown): boolean => {
  for (let err = e as { code?: unknown; cause?: unknown } | undefined; err; err = err.cause as typeof err)
    if (err.code === '23505') return true;
  return false;
};

/** The database's time (see DB_NOW in rotate.ts). */
const dbNow = (at: string | null) => sql`coalesce(${at}::timestamptz, clock_timestamp())`;

class Taken extends Error {}

export function accountRepository(db: Executor): AccountStore {
  return {
    async pendingEmailChange(userId, at) {
      const rows = await db
        .select({ email: otpCodes.email })
        .from(otpCodes)
        .where(
          and(
            eq(otpCodes.userId, userId),
            eq(otpCodes.purpose, EMAIL_CHANGE),
            isNull(otpCodes.consumedAt),
            gt(otpCodes.expiresAt, at),
          ),
        )
        .orderBy(desc(otpCodes.createdAt))
        .limit(1);
      return rows[0]?.email;
    },

    async changeEmail(userId, codeId, newEmail, at) {
      try {
        return await db.transaction(async (tx) => {
          const used = await tx
            .update(otpCodes)
            .set({ consumedAt: at })
            .where(and(eq(otpCodes.id, codeId), isNull(otpCodes.consumedAt)))
            .returning({ id: otpCodes.id });
          if (!used.length) return 'code_used' as const;
          const [old] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId)).for('update');
          if (!old) return 'gone' as const;
          // The unique index decides a race between two changes to one address; this answers the common case first.
          const owner = await tx
            .select({ id: users.id })
            .from(users)
            .where(and(eq(users.email, newEmail), ne(users.id, userId)));
          if (owner.length) throw new Taken();
          await tx.update(users).set({ email: newEmail, emailVerifiedAt: at }).where(eq(users.id, userId));
          // Codes mailed to either address before the change (a sign-in or reset code, another change) die with it.
          await tx
            .update(otpCodes)
            .set({ consumedAt: at })
            .where(
              and(
                or(eq(otpCodes.userId, userId), inArray(otpCodes.email, [old.email, newEmail])),
                isNull(otpCodes.consumedAt),
              ),
            );
          return 'changed' as const;
        });
      } catch (e) {
        if (e instanceof Taken || isUniqueViolation(e)) return 'taken';
        throw e;
      }
    },

    async deleteAccount(userId, at, event) {
      return db.transaction(async (tx) => {
        // First, so a sign-in holding the row (FOR KEY SHARE, see SIGN_IN) finishes before the
        // sessions are read below, and a later one finds no user. Profile, roles, factors,
        // passkeys, identities, challenges and codes go with it (ON DELETE CASCADE).
        const [gone] = await tx.delete(users).where(eq(users.id, userId)).returning({ email: users.email });
        if (!gone) return undefined;
        const revoked = await tx
          .update(sessions)
          .set({
            revokedAt: dbNow(at),
            revokeReason: 'account_deleted',
            revocationSeq: sql`nextval('session_revocations')`,
          })
          .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
          .returning({ id: sessions.id });
        // What stays of a session is what refuses its tokens (id, times, revocation number) until
        // `tokens flush-expired` removes it: not where or with what it was used.
        await tx.update(sessions).set({ userAgent: null, ip: null, amr: null }).where(eq(sessions.userId, userId));
        await tx
          .delete(refreshTokens)
          .where(
            inArray(
              refreshTokens.sessionId,
              tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId)),
            ),
          );
        // Codes asked for the address before the account existed carry no user id.
        await tx.delete(otpCodes).where(or(eq(otpCodes.userId, userId), eq(otpCodes.email, gone.email)));
        await tx
          .delete(authChallenges)
          .where(
            inArray(
              authChallenges.sessionId,
              tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId)),
            ),
          );
        // The audit trail stays (what happened, when), without where from or with what.
        await tx
          .update(auditEvents)
          .set({ ip: null, userAgent: null })
          .where(or(eq(auditEvents.userId, userId), eq(auditEvents.actorId, userId)));
        await tx.insert(auditEvents).values({ userId, type: event.type, at: event.at, detail: event.detail });
        // Webhook events about the account keep only whom they are about: one still waiting to be
        // delivered (a user.created) then tells its receiver nothing the deletion took away.
        await tx
          .update(webhookOutbox)
          .set({
            payload: sql`jsonb_set(${webhookOutbox.payload}, '{data}', jsonb_build_object('userId', ${userId}::text))`,
          })
          .where(sql`${webhookOutbox.payload}->'data'->>'userId' = ${userId}`);
        return { email: gone.email, revoked: revoked.map((r) => r.id) };
      });
    },

    async exportData(userId) {
      const [row] = await db
        .select({ user: users, profile: profiles })
        .from(users)
        .leftJoin(profiles, eq(profiles.userId, users.id))
        .where(eq(users.id, userId));
      if (!row) return undefined;
      const { passwordHash, ...user } = row.user;
      const [roles, sessionRows, totp, codes, keys, linked, oneTimeCodes, events] = await Promise.all([
        db
          .select({ role: userRoles.role, grantedAt: userRoles.grantedAt })
          .from(userRoles)
          .where(eq(userRoles.userId, userId))
          .orderBy(asc(userRoles.role)),
        db
          .select({
            id: sessions.id,
            createdAt: sessions.createdAt,
            lastUsedAt: sessions.lastUsedAt,
            expiresAt: sessions.expiresAt,
            revokedAt: sessions.revokedAt,
            revokeReason: sessions.revokeReason,
            rememberMe: sessions.rememberMe,
            userAgent: sessions.userAgent,
            ip: sessions.ip,
            authenticatedAt: sessions.authenticatedAt,
            amr: sessions.amr,
          })
          .from(sessions)
          .where(eq(sessions.userId, userId))
          .orderBy(asc(sessions.createdAt)),
        db
          .select({ createdAt: totpFactors.createdAt, enabledAt: totpFactors.enabledAt })
          .from(totpFactors)
          .where(eq(totpFactors.userId, userId)),
        db
          .select({ createdAt: recoveryCodes.createdAt, usedAt: recoveryCodes.usedAt })
          .from(recoveryCodes)
          .where(eq(recoveryCodes.userId, userId))
          .orderBy(asc(recoveryCodes.createdAt)),
        db
          .select({
            id: passkeys.id,
            name: passkeys.name,
            deviceType: passkeys.deviceType,
            backedUp: passkeys.backedUp,
            transports: passkeys.transports,
            createdAt: passkeys.createdAt,
            lastUsedAt: passkeys.lastUsedAt,
          })
          .from(passkeys)
          .where(eq(passkeys.userId, userId))
          .orderBy(asc(passkeys.createdAt)),
        db
          .select({
            provider: identities.provider,
            issuer: identities.issuer,
            subject: identities.subject,
            email: identities.email,
            emailVerified: identities.emailVerified,
            linkedAt: identities.linkedAt,
            lastUsedAt: identities.lastUsedAt,
          })
          .from(identities)
          .where(eq(identities.userId, userId))
          .orderBy(asc(identities.linkedAt)),
        db
          .select({
            purpose: otpCodes.purpose,
            email: otpCodes.email,
            createdAt: otpCodes.createdAt,
            expiresAt: otpCodes.expiresAt,
            consumedAt: otpCodes.consumedAt,
          })
          .from(otpCodes)
          .where(eq(otpCodes.userId, userId))
          .orderBy(asc(otpCodes.createdAt)),
        db
          .select({
            id: auditEvents.id,
            actorId: auditEvents.actorId,
            type: auditEvents.type,
            ip: auditEvents.ip,
            userAgent: auditEvents.userAgent,
            at: auditEvents.at,
            detail: auditEvents.detail,
          })
          .from(auditEvents)
          .where(eq(auditEvents.userId, userId))
          .orderBy(asc(auditEvents.id)),
      ]);
      return {
        user: { ...user, passwordSet: passwordHash !== null },
        profile: row.profile,
        roles,
        sessions: sessionRows,
        totp: totp[0] ?? null,
        recoveryCodes: codes,
        passkeys: keys,
        identities: linked,
        oneTimeCodes,
        auditEvents: events,
      };
    },
  };
}
