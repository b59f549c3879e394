/**
 * Sessions (refresh-token families) and their refresh tokens: the blacklist.
 *
 * Rotation is one statement whose first step is the guarded
 * `UPDATE … WHERE jti = $1 AND used_at IS NULL`: of any number of concurrent
 * rotations of one token, PostgreSQL lets exactly one match the row, and the
 * successor is inserted by the same statement (all or nothing, one round trip).
 */
import { and, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type {
  LiveSession,
  NewAuditEvent,
  NewSession,
  NewToken,
  RefreshTokenRow,
  RotateResult,
  Session,
  SessionsRepository,
  Successor,
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
 * See `rotate`. $1 now, $2 the successor's jti, $3 the presented jti, $4 / $5 the
 * successor's expiry with / without remember-me (the domain's `refreshExpiry`; the session's
 * choice is taken, capped at its end), $6 its issue time.
 */
const ROTATE = `
  with claimed as (
    update refresh_tokens set used_at = $1::timestamptz, replaced_by = $2
    where jti = $3 and used_at is null and expires_at > $1::timestamptz
      and exists (select 1 from sessions s join users u on u.id = s.user_id
                  where s.id = refresh_tokens.session_id and s.revoked_at is null
                    and s.expires_at > $1::timestamptz and u.is_active)
    returning session_id
  ), touched as (
    update sessions set last_used_at = $1::timestamptz from claimed
    where sessions.id = claimed.session_id
    returning sessions.*
  ), successor as (
    insert into refresh_tokens (jti, session_id, issued_at, expires_at)
    select $2, touched.id, $6::timestamptz,
           least(case when touched.remember_me then $4::timestamptz else $5::timestamptz end,
                 date_trunc('second', touched.expires_at))
    from touched
    returning expires_at
  )
  select touched.*, successor.expires_at as token_expires_at from touched, successor`;

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
     * unused, unexpired and its session and user are live; touch the session; insert the successor.
     */
    async rotate(jti: string, now: Date, next: Successor): Promise<RotateResult> {
      const at = now.toISOString();
      const [row] = await rotateStatement([
        at,
        next.jti,
        jti,
        next.expiresAt.rememberMe.toISOString(),
        next.expiresAt.plain.toISOString(),
        next.issuedAt.toISOString(),
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
    async revoke(id: string, reason: string, now: Date, userId?: string): Promise<Session | undefined> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
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
    async revokeAllForUser(userId: string, reason: string, now: Date, exceptId?: string): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
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
