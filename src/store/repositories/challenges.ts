/** Sign-in challenges (see auth/factorPorts.ts): stored hashed, used up atomically. */
import { and, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { ChallengeKind, ChallengeRow, ChallengeStore } from '../../auth/factorPorts.js';
import type { Executor } from '../db.js';
import { authChallenges } from '../schema.js';

type Row = typeof authChallenges.$inferSelect;

const plain = (r: Row): ChallengeRow => ({
  id: r.id,
  kind: r.kind as ChallengeKind,
  userId: r.userId,
  parentId: r.parentId,
  sessionId: r.sessionId,
  amr: r.amr ?? [],
  rememberMe: r.rememberMe,
  provenAt: r.provenAt,
  failures: r.failures,
  expiresAt: r.expiresAt,
});

export function challengesRepository(db: Executor): ChallengeStore {
  const live = (hash: string, kinds: ChallengeKind[], now: Date) =>
    and(
      eq(authChallenges.hash, hash),
      inArray(authChallenges.kind, kinds),
      isNull(authChallenges.consumedAt),
      gt(authChallenges.expiresAt, now),
    );
  return {
    async create(c) {
      const [row] = await db
        .insert(authChallenges)
        .values({
          ...c,
          parentId: c.parentId ?? null,
          sessionId: c.sessionId ?? null,
          amr: c.amr ?? [],
          rememberMe: c.rememberMe ?? false,
        })
        .returning({ id: authChallenges.id });
      return row.id;
    },
    async findLive(hash, kinds, now) {
      const rows = await db
        .select()
        .from(authChallenges)
        .where(live(hash, kinds, now))
        .limit(1);
      return rows[0] && plain(rows[0]);
    },
    async consume(hash, kinds, now) {
      const rows = await db
        .update(authChallenges)
        .set({ consumedAt: now })
        .where(live(hash, kinds, now))
        .returning();
      return rows[0] && plain(rows[0]);
    },
    async fail(id) {
      const rows = await db
        .update(authChallenges)
        .set({ failures: sql`${authChallenges.failures} + 1` })
        .where(eq(authChallenges.id, id))
        .returning({ failures: authChallenges.failures });
      return rows[0]?.failures ?? 0;
    },
    async kill(id, now) {
      await db
        .update(authChallenges)
        .set({ consumedAt: now })
        .where(and(eq(authChallenges.id, id), isNull(authChallenges.consumedAt)));
    },
    async markProven(id, now, amr) {
      await db.update(authChallenges).set({ provenAt: now, amr }).where(eq(authChallenges.id, id));
    },
    async flushExpired(before) {
      const rows = await db
        .delete(authChallenges)
        .where(lt(authChallenges.expiresAt, before))
        .returning({ id: authChallenges.id });
      return rows.length;
    },
  };
}
