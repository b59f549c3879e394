/**
 * The admin lists: users (newest first, keyset-paginated, searched by trigram indexes) and
 * audit events (newest first by id).
 *
 * The search is `ILIKE '%term%'` on email, username and display name. Each column has a
 * pg_trgm GIN index (migration 0005), which serves ILIKE with a leading wildcard; the three
 * are combined as a union of ids so that each match comes from its own index (an OR across
 * the users–profiles join could not use them) — see docs/accounts.md for the plan at 1M users.
 */
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { AdminStore, AuditEventRow } from '../../auth/accountPorts.js';
import type { Executor } from '../db.js';
import { auditEvents, profiles, users } from '../schema.js';

/** `%term%` for ILIKE, with the pattern characters of the term taken literally. */
export const containsPattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function adminRepository(db: Executor): AdminStore {
  return {
    async users(search, limit, after) {
      const conditions: (SQL | undefined)[] = [];
      if (search) {
        const p = containsPattern(search);
        conditions.push(
          sql`${users.id} in (
            select id from users where email ilike ${p} or username ilike ${p}
            union
            select user_id from profiles where display_name ilike ${p})`,
        );
      }
      // A row comparison, which the (created_at, id) index takes as its condition: a deep page
      // starts where the last one ended instead of filtering every newer row (an OR would).
      if (after)
        conditions.push(
          sql`(${users.createdAt}, ${users.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
        );
      return db
        .select({ user: users, profile: profiles })
        .from(users)
        .leftJoin(profiles, eq(profiles.userId, users.id))
        .where(and(...conditions))
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(limit);
    },

    async auditEvents(filter, limit, after): Promise<AuditEventRow[]> {
      return db
        .select()
        .from(auditEvents)
        .where(
          and(
            filter.userId ? eq(auditEvents.userId, filter.userId) : undefined,
            filter.type ? eq(auditEvents.type, filter.type) : undefined,
            after !== null ? lt(auditEvents.id, after) : undefined,
          ),
        )
        .orderBy(desc(auditEvents.id))
        .limit(limit);
    },
  };
}
