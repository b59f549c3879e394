/**
 * Sessions (refresh-token families) and their refresh tokens: the blacklist.
 *
 * Rotation is one statement whose first step is the guarded
 * `UPDATE … WHERE jti = $1 AND used_at IS NULL`: of any number of concurrent
 * rotations of one token, PostgreSQL lets exactly one match the row, and the
 * successor is inserted by the same statement (all or nothing, one round trip).
 */
import { and, desc, eq, gt, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type {
  LiveSession,
  NewAuditEvent,
  NewSession,
  NewToken,
  RefreshTokenRow,
  RevocationRow,
  Session,
  SessionsRepository,
} from '../../auth/ports.js';
import { type Executor, preparedStatement } from '../db.js';
import { auditValues, INSERT_AUDIT_EVENT } from './audit.js';
import { ROTATE, type RotatedRow, rotated } from './rotate.js';
import { refreshTokens, sessions, users } from '../schema.js';

/**
 * See `signIn`. $1–$7 the session, $8–$10 its first token, $11–$16 the audit event
 * (the columns of `auditValues`), $17 the sign-in's methods. The user's last login and the
 * session's last real sign-in are the session's start.
 */
const SIGN_IN = `
  with created as (
    insert into sessions (id, user_id, remember_me, created_at, last_used_at, expires_at, user_agent, ip, authenticated_at, amr)
    select $1, $2, $3, $4::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $4::timestamptz, $17::jsonb
    -- What the foreign key did: the user row is held until commit, so a deletion waits for this
    -- sign-in (and then revokes its session) or has happened, and nothing is inserted.
    where exists (select 1 from users where id = $2 for key share)
    returning id, user_id, created_at
  ), first_token as (
    insert into refresh_tokens (jti, session_id, issued_at, expires_at)
    select $8, created.id, $9::timestamptz, $10::timestamptz from created
  ), stamped as (
    update users set last_login_at = created.created_at from created where users.id = created.user_id
  )
  ${INSERT_AUDIT_EVENT}
  select $11, $12, $13, $14, $15::timestamptz, $16::jsonb from created
  returning id`;

/** The database's time (see DB_NOW in rotate.ts), as a Drizzle expression, and in ms since the epoch. */
const dbNow = (at: string | null) => sql`coalesce(${at}::timestamptz, clock_timestamp())`;
const dbNowMs = (at: string | null) => sql<number>`(extract(epoch from ${dbNow(at)}) * 1000)::float8`.mapWith(Number);

/** The columns a revocation sets: the database's time and the next number of its order. */
const revocation = (reason: string, at: string | null) => ({
  revokedAt: dbNow(at),
  revokeReason: reason,
  revocationSeq: sql`nextval('session_revocations')`,
});

export function sessionsRepository(db: Executor): SessionsRepository {
  // The statements of every sign-in and refresh, prepared once per connection.
  const signInStatement = preparedStatement(db, 'latchkey_sign_in', SIGN_IN);
  const rotateStatement = preparedStatement<RotatedRow>(db, 'latchkey_refresh_rotate', ROTATE);

  return {
    /**
     * A sign-in: the new session and its first refresh token, the user's last-login stamp
     * and the audit event, together — one statement, one round trip, one commit.
     */
    async signIn(session: NewSession, token: NewToken, event: NewAuditEvent): Promise<boolean> {
      const created = session.createdAt.toISOString();
      const rows = await signInStatement([
        session.id,
        session.userId,
        session.rememberMe,
        created,
        session.expiresAt.toISOString(),
        session.userAgent,
        session.ip,
        token.jti,
        token.issuedAt.toISOString(),
        token.expiresAt.toISOString(),
        ...auditValues(event),
        JSON.stringify(session.amr),
      ]);
      return rows.length > 0;
    },

    /**
     * Rotate `jti` atomically, in one statement: mark it used (naming its successor) if it is
     * unused, unexpired and its session and user are live; touch the session; insert the successor
     * and the audit event. Every time compared or stamped is the database's, when the statement
     * runs (see DB_NOW in rotate.ts); nothing happens once `deadline` has passed.
     */
    async rotate(jti, next, { at, deadline, event }) {
      const [row] = await rotateStatement([
        at,
        next.jti,
        jti,
        next.expiresAt.rememberMe.toISOString(),
        next.expiresAt.plain.toISOString(),
        next.issuedAt.toISOString(),
        deadline.toISOString(),
        ...auditValues(event).slice(1, 5),
      ]);
      if (row) return rotated(row, next);
      const found = await db
        .select({ token: refreshTokens, session: sessions, userActive: users.isActive, nowMs: dbNowMs(at) })
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

    async findById(id: string): Promise<Session | undefined> {
      const rows = await db.select().from(sessions).where(eq(sessions.id, id)).limit(1);
      return rows[0];
    },

    /** A real sign-in on a live session of this user (reauthentication): its time and methods; false if the session is not live. */
    async markAuthenticated(id: string, userId: string, at: Date, amr: string[]): Promise<Session | undefined> {
      const rows = await db
        .update(sessions)
        .set({ authenticatedAt: at, amr })
        .where(
          and(eq(sessions.id, id), eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, at)),
        )
        .returning();
      return rows[0];
    },

    /** Revoke one session (if still live); returns it when this call revoked it. */
    async revoke(id: string, reason: string, at: string | null, userId?: string): Promise<Session | undefined> {
      const rows = await db
        .update(sessions)
        .set(revocation(reason, at))
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt), userId ? eq(sessions.userId, userId) : undefined))
        .returning();
      return rows[0];
    },

    async findToken(jti: string): Promise<{ token: RefreshTokenRow; session: Session } | undefined> {
      const rows = await db
        .select({ token: refreshTokens, session: sessions })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(eq(refreshTokens.jti, jti))
        .limit(1);
      return rows[0];
    },

    /** Revoke every live session of a user, optionally keeping one; returns the ids revoked. */
    async revokeAllForUser(userId: string, reason: string, at: string | null, exceptId?: string): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set(revocation(reason, at))
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            exceptId ? ne(sessions.id, exceptId) : undefined,
          ),
        )
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

    /**
     * Revocations after `cursor` in the database's order (a sequence, not a clock), or — with
     * no cursor (at start) — those whose access tokens may still be live, `lifetimeMs` after
     * their revocation. `remainingMs` is worked out on the database's clock alone.
     */
    async revocationsAfter(cursor: number | null, lifetimeMs: number, at: string | null): Promise<RevocationRow[]> {
      const lifetime = sql`${lifetimeMs}::float8 * interval '1 millisecond'`;
      const remaining = sql<number>`(extract(epoch from ${sessions.revokedAt} + ${lifetime} - ${dbNow(at)}) * 1000)::float8`;
      const rows = await db
        .select({ id: sessions.id, seq: sessions.revocationSeq, remainingMs: remaining.mapWith(Number) })
        .from(sessions)
        .where(
          cursor === null
            ? and(isNotNull(sessions.revocationSeq), gt(sessions.revokedAt, sql`${dbNow(at)} - ${lifetime}`))
            : gt(sessions.revocationSeq, cursor),
        )
        .orderBy(sessions.revocationSeq);
      return rows.map((r) => ({ id: r.id, seq: Number(r.seq), remainingMs: r.remainingMs }));
    },

    /** The last revocation's number (0: none yet): where a follower starts. */
    async lastRevocation(): Promise<number> {
      const [row] = await db
        .select({ seq: sql<number>`coalesce(max(${sessions.revocationSeq}), 0)`.mapWith(Number) })
        .from(sessions);
      return row?.seq ?? 0;
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
