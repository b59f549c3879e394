/** Column helpers every table file shares. */
import { timestamp } from 'drizzle-orm/pg-core';

/** A point in time: `timestamptz` read as a Date, so it names the same instant whatever the connection's time zone. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
