/** Audit events: an append-only record of what happened to accounts and sessions. */
import { and, desc, eq } from 'drizzle-orm';
import type { Executor } from '../db.js';
import { auditEvents } from '../schema.js';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<typeof auditEvents.$inferInsert, 'id'>;

export function auditRepository(db: Executor) {
  return {
    async record(event: NewAuditEvent): Promise<void> {
      await db.insert(auditEvents).values(event);
    },
    async list(filter: { userId?: string; type?: string } = {}, limit = 100): Promise<AuditRow[]> {
      return db
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
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepository>;
