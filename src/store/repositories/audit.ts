/** Audit events: an append-only record of what happened to accounts and sessions. */
import { and, desc, eq } from 'drizzle-orm';
import { type Executor, preparedStatement } from '../db.js';
import { auditEvents } from '../schema.js';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<typeof auditEvents.$inferInsert, 'id'>;

/** The start of every statement that records an event; `auditValues` gives its values in this order. */
export const INSERT_AUDIT_EVENT = 'insert into audit_events (user_id, type, ip, user_agent, at, detail)';

/** The values of an event row, in the order of INSERT_AUDIT_EVENT's columns. */
export const auditValues = (event: NewAuditEvent): unknown[] => [
  event.userId ?? null, event.type, event.ip ?? null, event.userAgent ?? null, event.at.toISOString(), event.detail == null ? null : JSON.stringify(event.detail),
];

export function auditRepository(db: Executor) {
  // Written on every sign-in and refresh: prepared once per connection.
  const insert = preparedStatement(
    db,
    'latchkey_audit_record',
    `${INSERT_AUDIT_EVENT} values ($1, $2, $3, $4, $5::timestamptz, $6::jsonb)`,
  );
  return {
    async record(event: NewAuditEvent): Promise<void> {
      await insert(auditValues(event));
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
