/** The revocation feed's reads: sessions by their revocation number (sessions.revocation_seq). */
import { and, asc, gt, isNotNull, sql } from 'drizzle-orm';
import type { RevocationFeedRepository, RevocationFeedRow } from '../../auth/revocationFeed.js';
import type { Executor } from '../db.js';
import { sessions } from '../schema.js';

export function revocationFeedRepository(db: Executor): RevocationFeedRepository {
  return {
    async page(after: number | null, revokedAfter: Date, limit: number): Promise<RevocationFeedRow[]> {
      const rows = await db
        .select({ sid: sessions.id, seq: sessions.revocationSeq, revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(
          after === null
            ? and(isNotNull(sessions.revocationSeq), gt(sessions.revokedAt, revokedAfter))
            : gt(sessions.revocationSeq, after),
        )
        .orderBy(asc(sessions.revocationSeq))
        .limit(limit);
      return rows.map((r) => ({ sid: r.sid, seq: Number(r.seq), revokedAt: r.revokedAt! }));
    },

    async last(): Promise<number> {
      const [row] = await db
        .select({ seq: sql<number>`coalesce(max(${sessions.revocationSeq}), 0)`.mapWith(Number) })
        .from(sessions);
      return row?.seq ?? 0;
    },
  };
}
