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
import { refreshTokens, sessions, users } from '../schema.js';

/** A row of the rotation statement: the touched session (raw columns) and its new token's expiry. */
interface RotatedRow {
  id: string;
  user_id: string;
  remember_me: boolean;
  created_at: Date | string;
  last_used_at: Date | string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  revoke_reason: string | null;
  revocation_seq: number | string | null;
  user_agent: string | null;
  ip: string | null;
  authenticated_at: Date | string | null;
  amr: string[] | null;
  token_expires_at: Date | string;
}

// Raw statements come back as the driver parses them: node-postgres and PGlite give Dates for timestamptz.
const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/**
 * See `signIn`. $1–$7 the session, $8–$10 its first token, $11–$16 the audit event
 * (the columns of `auditValues`), $17 the sign-in's methods. The user's last login and the
 * session's last real sign-in are the session's start.
 */
const SIGN_IN = `
  with created as (
    insert into sessions (id, user_id, remember_me, created_at, last_used_at, expires_at, user_agent, ip, authenticated_at, amr)
    values ($1, $2, $3, $4::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $4::timestamptz, $17::jsonb)
    returning id, user_id, created_at
  ), first_token as (
    insert into refresh_tokens (jti, session_id, issued_at, expires_at)
    select $8, created.id, $9::timestamptz, $10::timestamptz from created
  ), stamped as (
    update users set last_login_at = created.created_at from created where users.id = created.user_id
  )
  ${INSERT_AUDIT_EVENT}
  select $11, $12, $13, $14, $15::timestamptz, $16::jsonb from created`;

/**
 * The database's clock, at the moment the statement runs (not when the request started:
 * a rotation that waited for a stalled database is stamped when it happened) — unless $1
 * pins the time (a test's manual clock, see pinnedTime).
 */
const DB_NOW = `coalesce($1::timestamptz, clock_timestamp())`;

/**
 * See `rotate`. $1 the pinned time or null (see DB_NOW), $2 the successor's jti, $3 the
 * presented jti, $4 / $5 the successor's expiry with / without remember-me (the domain's
 * `refreshExpiry`; the session's choice is taken, capped at its end), $6 its issue time,
 * $7 the deadline: a rotation that comes to run after it (the database stalled, the caller
 * gave up) changes nothing rather than committing late. $8–$11 the audit event's type, ip,
 * user agent and time (its user and session are the rotated one's): written by the same
 * statement, so the answer waits on nothing once the rotation is done.
 */
const ROTATE = `
  with tick as (select ${DB_NOW} as at),
  claimed as (
    update refresh_tokens set used_at = tick.at, replaced_by = $2 from tick
    where jti = $3 and used_at is null and expires_at > tick.at and tick.at <= $7::timestamptz
      and exists (select 1 from sessions s join users u on u.id = s.user_id
                  where s.id = refresh_tokens.session_id and s.revoked_at is null
                    and s.expires_at > tick.at and u.is_active)
    returning session_id, tick.at
  ), touched as (
    update sessions set last_used_at = claimed.at from claimed
    where sessions.id = claimed.session_id
    returning sessions.*
  ), successor as (
    insert into refresh_tokens (jti, session_id, issued_at, expires_at)
    select $2, touched.id, $6::timestamptz,
           least(case when touched.remember_me then $4::timestamptz else $5::timestamptz end,
                 date_trunc('second', touched.expires_at))
    from touched
    returning expires_at
  ), event as (
    ${INSERT_AUDIT_EVENT}
    select touched.user_id, $8, $9, $10, $11::timestamptz, jsonb_build_object('sessionId', touched.id) from touched
  )
  select touched.*, successor.expires_at as token_expires_at from touched, successor`;

/** The database's time (see DB_NOW), as a Drizzle expression, and in ms since the epoch. */
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
    async signIn(session: NewSession, token: NewToken, event: NewAuditEvent): Promise<void> {
      const created = session.createdAt.toISOString();
      await signInStatement([
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
    },

    /**
     * Rotate `jti` atomically, in one statement: mark it used (naming its successor) if it is
     * unused, unexpired and its session and user are live; touch the session; insert the successor
     * and the audit event. Every time compared or stamped is the database's, when the statement
     * runs (see DB_NOW); nothing happens once `deadline` has passed.
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
      const rotated = row && {
        kind: 'rotated' as const,
        session: {
          id: row.id,
          userId: row.user_id,
          rememberMe: row.remember_me,
          createdAt: asDate(row.created_at),
          lastUsedAt: asDate(row.last_used_at),
          expiresAt: asDate(row.expires_at),
          revokedAt: row.revoked_at === null ? null : asDate(row.revoked_at),
          revokeReason: row.revoke_reason,
          userAgent: row.user_agent,
          ip: row.ip,
          authenticatedAt: row.authenticated_at === null ? null : asDate(row.authenticated_at),
          amr: row.amr,
        },
        token: {
          jti: next.jti,
          sessionId: row.id,
          issuedAt: next.issuedAt,
          expiresAt: asDate(row.token_expires_at),
          usedAt: null,
          replacedBy: null,
        },
      };
      if (rotated) return rotated;
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
