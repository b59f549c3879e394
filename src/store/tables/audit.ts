/** The audit log: one row per security-relevant event. */
import { bigserial, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id'),
    /** The admin who did it (admin operations); null when the user did it, or the command line. */
    actorId: uuid('actor_id'),
    type: text('type').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    at: ts('at').notNull(),
    detail: jsonb('detail'),
  },
  (t) => [index('audit_events_user_idx').on(t.userId, t.at), index('audit_events_type_idx').on(t.type, t.at)],
);
