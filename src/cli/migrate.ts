/** `latchkey migrate`: bring the database schema up to date, and report emails that were rewritten or clash. */
import type { Config } from '../config.js';

export async function run(_argv: string[], config: Config): Promise<string> {
  const [{ openDatabase }, { migrate }, { describeEmailReport }] = await Promise.all([
    import('../store/db.js'),
    import('../store/migrate.js'),
    import('../store/canonicalEmails.js'),
  ]);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { applied, emails } = await migrate(database, { checkEmails: true });
    const problems = emails ? describeEmailReport(emails) : [];
    const converted = emails?.converted ? `; ${emails.converted} email(s) rewritten to their canonical form` : '';
    const status = applied ? `applied ${applied} migration(s); schema is current` : 'schema is already current';
    return [`${status}${converted}`, ...problems].join('\n');
  } finally {
    await database.close();
  }
}
