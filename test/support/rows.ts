/**
 * Reading rows straight from the database, for assertions the API cannot see
 * (audit events, a session's or token's row). Test-only: the services never need these.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../../src/store/db.js';
import { auditEvents, refreshTokens, sessions } from '../../src/store/schema.js';

type WithDatabase = { database: Database };

/** Audit events, newest first. */
export function auditEventsOf(
  { database }: WithDatabase,
  filter: { userId?: string; type?: string } = {},
  limit = 100,
) {
  return database.db
    .select()
    .from(auditEvents)
    .where(
      and(
        filter.userId ? eq(auditEvents.userId, filter.userId) : undefined,
        filter.type ? eq(auditEvents.type, filter.type) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

export async function sessionRow({ database }: WithDatabase, id: string) {
  const rows = await database.db.select().from(sessions).where(eq(sessions.id, id)).limit(1);
  return rows[0];
}

/** A refresh token's row and its session's. */
export async function refreshTokenRow({ database }: WithDatabase, jti: string) {
  const rows = await database.db
    .select({ token: refreshTokens, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.jti, jti))
    .limit(1);
  return rows[0];
}
