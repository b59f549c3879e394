/** Audit events: an append-only record of what happened to accounts and sessions. */
import { sql } from 'drizzle-orm';
import type { AuditRepository, NewAuditEvent } from '../../auth/ports.js';
import { type Executor, preparedStatement } from '../db.js';

/** The start of every statement that records an event; `auditValues` gives its values in this order. */
export const INSERT_AUDIT_EVENT = 'insert into audit_events (user_id, type, ip, user_agent, at, detail)';

/** The values of an event row, in the order of INSERT_AUDIT_EVENT's columns. */
export const auditValues = (event: NewAuditEvent): unknown[] => [
  event.userId ?? null,
  event.type,
  event.ip ?? null,
  event.userAgent ?? null,
  event.at.toISOString(),
  event.detail == null ? null : JSON.stringify(event.detail),
];

export function auditRepository(db: Executor): AuditRepository {
  // Written on every sign-in and refresh: prepared once per connection.
  const insert = preparedStatement(
    db,
    'latchkey_audit_record',
    `${INSERT_AUDIT_EVENT} values ($1, $2, $3, $4, $5::timestamptz, $6::jsonb)`,
  );
  return {
    async record(event: NewAuditEvent): Promise<void> {
      // An admin's action names the admin: a column the hot statements (sign-in, refresh) never write.
      if (event.actorId) {
        await db.execute(
          sql`insert into audit_events (user_id, actor_id, type, ip, user_agent, at, detail)
              values (${event.userId ?? null}, ${event.actorId}, ${event.type}, ${event.ip ?? null}, ${event.userAgent ?? null},
                      ${event.at.toISOString()}::timestamptz, ${event.detail == null ? null : JSON.stringify(event.detail)}::jsonb)`,
        );
        return;
      }
      await insert(auditValues(event));
    },
  };
}
