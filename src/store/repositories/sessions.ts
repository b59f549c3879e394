/**
 * Sessions (refresh-token families) and their refresh tokens: the blacklist.
 *
 * Rotation is one transaction whose first statement is the guarded
 * `UPDATE … WHERE jti = $1 AND used_at IS NULL`: of any number of concurrent
 * rotations of one token, PostgreSQL lets exactly one match the row.
 */
import { and, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Executor } from '../db.js';
import { refreshTokens, sessions, users } from '../schema.js';

export type SessionRow = typeof sessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

export interface NewToken {
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface NewSession {
  id: string;
  userId: string;
  rememberMe: boolean;
  createdAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

export type RotateResult =
  | { kind: 'rotated'; session: SessionRow; token: RefreshTokenRow }
  /** The token could not be rotated; here is what the database knows about it. */
  | { kind: 'refused'; token: RefreshTokenRow; session: SessionRow; userActive: boolean }
  | { kind: 'unknown' };

export interface LiveSession extends SessionRow {
  tokenExpiresAt: Date;
}

export function sessionsRepository(db: Executor) {
  return {
    /** A new session and its first refresh token, together. */
    async create(session: NewSession, token: NewToken): Promise<SessionRow> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(sessions)
          .values({ ...session, lastUsedAt: session.createdAt })
          .returning();
        await tx.insert(refreshTokens).values({ ...token, sessionId: session.id });
        return row;
      });
    },

    /**
     * Rotate `jti` atomically: mark it used, record its successor, insert the
     * successor. `successor` is called inside the transaction with the session
     * (so the caller's expiry policy sees remember-me and the absolute end).
     */
    async rotate(jti: string, now: Date, successor: (session: SessionRow) => NewToken): Promise<RotateResult> {
      const rotated = await db.transaction(async (tx) => {
        const claimed = await tx
          .update(refreshTokens)
          .set({ usedAt: now })
          .where(
            and(
              eq(refreshTokens.jti, jti),
              isNull(refreshTokens.usedAt),
              gt(refreshTokens.expiresAt, now),
              sql`exists (select 1 from ${sessions} s join ${users} u on u.id = s.user_id
                          where s.id = ${refreshTokens.sessionId} and s.revoked_at is null
                            and s.expires_at > ${now.toISOString()}::timestamptz and u.is_active)`,
            ),
          )
          .returning({ sessionId: refreshTokens.sessionId });
        if (!claimed.length) return undefined;
        const [session] = await tx
          .update(sessions)
          .set({ lastUsedAt: now })
          .where(eq(sessions.id, claimed[0].sessionId))
          .returning();
        const next = successor(session);
        await tx.update(refreshTokens).set({ replacedBy: next.jti }).where(eq(refreshTokens.jti, jti));
        const [token] = await tx
          .insert(refreshTokens)
          .values({ ...next, sessionId: session.id })
          .returning();
        return { kind: 'rotated', session, token } as const;
      });
      if (rotated) return rotated;
      const found = await db
        .select({ token: refreshTokens, session: sessions, userActive: users.isActive })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(refreshTokens.jti, jti))
        .limit(1);
      return found.length ? { kind: 'refused', ...found[0] } : { kind: 'unknown' };
    },

    /** The session's one unused refresh token (the head of its chain). */
    async currentToken(sessionId: string): Promise<RefreshTokenRow | undefined> {
      const rows = await db
        .select()
        .from(refreshTokens)
        .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.usedAt)))
        .limit(1);
      return rows[0];
    },

    async findToken(jti: string): Promise<{ token: RefreshTokenRow; session: SessionRow } | undefined> {
      const rows = await db
        .select({ token: refreshTokens, session: sessions })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(eq(refreshTokens.jti, jti))
        .limit(1);
      return rows[0];
    },

    async findById(id: string): Promise<SessionRow | undefined> {
      const rows = await db.select().from(sessions).where(eq(sessions.id, id)).limit(1);
      return rows[0];
    },

    /** Revoke one session (if still live); returns it when this call revoked it. */
    async revoke(id: string, reason: string, now: Date, userId?: string): Promise<SessionRow | undefined> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt), userId ? eq(sessions.userId, userId) : undefined))
        .returning();
      return rows[0];
    },

    /** Revoke every live session of a user, optionally keeping one; returns the ids revoked. */
    async revokeAllForUser(userId: string, reason: string, now: Date, exceptId?: string): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), exceptId ? ne(sessions.id, exceptId) : undefined))
        .returning({ id: sessions.id });
      return rows.map((r) => r.id);
    },

    /** Live sessions: not revoked, not past their absolute end, with an unexpired refresh token. */
    async listLive(userId: string, now: Date): Promise<LiveSession[]> {
      const rows = await db
        .select({ session: sessions, tokenExpiresAt: refreshTokens.expiresAt })
        .from(sessions)
        .innerJoin(refreshTokens, and(eq(refreshTokens.sessionId, sessions.id), isNull(refreshTokens.usedAt)))
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, now),
            gt(refreshTokens.expiresAt, now),
          ),
        )
        .orderBy(desc(sessions.lastUsedAt));
      return rows.map((r) => ({ ...r.session, tokenExpiresAt: r.tokenExpiresAt }));
    },

    /** Sessions revoked since `since` (to rebuild the in-process revoked set at start). */
    async revokedSince(since: Date): Promise<{ id: string; revokedAt: Date }[]> {
      const rows = await db
        .select({ id: sessions.id, revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(gt(sessions.revokedAt, since));
      return rows.map((r) => ({ id: r.id, revokedAt: r.revokedAt! }));
    },

    /**
     * Delete refresh tokens that expired before `before`, then the sessions left
     * dead: past their absolute end or without any token. A revoked session
     * stays while its tokens could still be presented, so they answer
     * TOKEN_REVOKED — and while it was revoked after `revokedAfter`, because
     * its row is what refuses its access tokens after a restart.
     */
    async flushExpired(before: Date, revokedAfter: Date): Promise<{ sessions: number; refreshTokens: number }> {
      return db.transaction(async (tx) => {
        const tokens = await tx
          .delete(refreshTokens)
          .where(lt(refreshTokens.expiresAt, before))
          .returning({ jti: refreshTokens.jti });
        const dead = await tx
          .delete(sessions)
          .where(
            and(
              or(
                lt(sessions.expiresAt, before),
                sql`not exists (select 1 from ${refreshTokens} t where t.session_id = ${sessions.id})`,
              ),
              or(isNull(sessions.revokedAt), lt(sessions.revokedAt, revokedAfter)),
            ),
          )
          .returning({ id: sessions.id });
        return { sessions: dead.length, refreshTokens: tokens.length };
      });
    },
  };
}

export type SessionsRepository = ReturnType<typeof sessionsRepository>;
