/**
 * The data half of migration 0001: every stored email is rewritten to its
 * canonical form (src/auth/email.ts), which SQL cannot compute (IDNA, Unicode
 * normalisation). Two accounts whose addresses become one are never merged:
 * both rows are left as they are and listed, for an operator to decide (the
 * unconverted one cannot sign in by its address until then). Addresses that
 * have no canonical form are left and listed too.
 *
 * @example
 *   const report = await canonicalizeEmails(database);
 *   for (const line of describeEmailReport(report)) console.error(line);
 */
import { eq, sql } from 'drizzle-orm';
import { canonicalEmail } from '../auth/email.js';
import type { Database } from './db.js';
import { users } from './schema.js';

export interface EmailReport {
  converted: number;
  /** Rows left unconverted because another account already has their canonical form. */
  conflicts: { id: string; email: string; canonical: string; holderId: string; holderEmail: string }[];
  /** Rows whose address has no canonical form (refused by today's rules). */
  invalid: { id: string; email: string }[];
}

/**
 * Rewrite every non-canonical email. Rows that are plain lower-case ASCII are
 * skipped without being read into the process (they are canonical, or invalid
 * by rules that never let them sign in), so this is cheap to run again.
 */
export async function canonicalizeEmails(database: Database): Promise<EmailReport> {
  const { db } = database;
  const report: EmailReport = { converted: 0, conflicts: [], invalid: [] };
  const candidates = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(sql`${users.email} <> lower(${users.email}) or ${users.email} !~ '^[!-~]+$'`)
    .orderBy(users.createdAt, users.id);
  for (const row of candidates) {
    let canonical: string;
    try {
      canonical = canonicalEmail(row.email);
    } catch {
      report.invalid.push(row);
      continue;
    }
    if (canonical === row.email) continue;
    const [holder] = await db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(eq(users.email, canonical))
      .limit(1);
    if (holder) {
      report.conflicts.push({ ...row, canonical, holderId: holder.id, holderEmail: holder.email });
      continue;
    }
    const updated = await db
      .update(users)
      .set({ email: canonical })
      .where(sql`${users.id} = ${row.id} and not exists (select 1 from ${users} u where u.email = ${canonical})`)
      .returning({ id: users.id });
    report.converted += updated.length;
  }
  return report;
}

/** What an operator reads: one line per address left unconverted, nothing when all is well. */
export function describeEmailReport(report: EmailReport): string[] {
  return [
    ...report.conflicts.map(
      (c) =>
        `email conflict: user ${c.id} <${c.email}> is the same address as user ${c.holderId} <${c.holderEmail}> (canonical ${c.canonical}); left unconverted, resolve by hand`,
    ),
    ...report.invalid.map(
      (r) =>
        `email invalid: user ${r.id} <${r.email}> has no canonical form; left as it is, it cannot sign in by address`,
    ),
  ];
}
