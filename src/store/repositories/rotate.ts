/**
 * The rotation statement (see `rotate` in sessions.ts) and the mapping of its row to the
 * rotated session and successor token: kept apart so the repository file stays small.
 */
import type { Successor } from '../../auth/ports.js';
import { INSERT_AUDIT_EVENT } from './audit.js';

/** A row of the rotation statement: the touched session (raw columns) and its new token's expiry. */
export interface RotatedRow {
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
  /** The account's roles, sorted (the access token's `roles` claim). */
  roles: string[];
}

// Raw statements come back as the driver parses them: node-postgres and PGlite give Dates for timestamptz.
const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

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
export const ROTATE = `
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
  select touched.*, successor.expires_at as token_expires_at,
         coalesce((select jsonb_agg(r.role order by r.role) from user_roles r where r.user_id = touched.user_id), '[]'::jsonb) as roles
  from touched, successor`;

/** The rotated session and its successor token, from the statement's row. */
export const rotated = (row: RotatedRow, next: Successor) => ({
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
  roles: row.roles,
});
