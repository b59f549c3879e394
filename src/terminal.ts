/**
 * `latchkey serve` at a terminal (a person running `npm start`): one plain line
 * per fact — where it listens, the web app, the database and where its data
 * lives, where mail goes, the settings that differ from their defaults — and
 * log lines as `LEVEL message` instead of JSON. Not at a terminal (a service
 * manager, a container, a pipe) the logs stay JSON, one object a line.
 *
 * @example
 *   for (const line of startupFacts(config, process.env, url, webServed)) console.log(line);
 */
import { resolve } from 'node:path';
import { type Config, hideUrlPassword, settingDefaults } from './config.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** The server's JSON log lines turned into `WARN message (error)` lines on `out`. */
export function humanLogStream(out: { write(text: string): unknown }) {
  return {
    write(line: string) {
      try {
        const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
        // Said once, better, by startupFacts.
        if (entry.msg?.startsWith('Server listening at')) return;
        const error = entry.err?.message ? ` (${entry.err.message})` : '';
        out.write(`${LEVELS[entry.level] ?? entry.level} ${entry.msg ?? ''}${error}\n`);
      } catch {
        out.write(line);
      }
    },
  };
}

function database(config: Config): string {
  if (config.databaseUrl === 'memory:') return 'Database: in-memory PGlite (everything is lost when the server stops)';
  if (config.databaseUrl) return `Database: PostgreSQL at ${hideUrlPassword(config.databaseUrl)}`;
  return `Database: embedded PostgreSQL (PGlite), data in ${resolve(config.dataDir)}`;
}

function mail(config: Config): string {
  if (config.mailUrl === 'console') return 'Mail: printed here, not sent (set MAIL_URL=smtp://… to send it)';
  if (config.mailUrl.startsWith('file:'))
    return `Mail: written as files to ${resolve(config.mailUrl.slice(5))}, not sent`;
  return `Mail: sent through ${hideUrlPassword(config.mailUrl)}`;
}

/** The settings given that differ from their defaults, secrets hidden: `PORT=4100, MAIL_URL=…`. */
export function changedSettings(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [name, fallback] of Object.entries(settingDefaults)) {
    const value = env[name];
    if (value === undefined || value === '' || value === fallback) continue;
    out.push(`${name}=${/SECRET|FEED_TOKEN/.test(name) ? '(hidden)' : hideUrlPassword(value)}`);
  }
  return out;
}

export function startupFacts(
  config: Config,
  env: Record<string, string | undefined>,
  url: string,
  webServed: boolean,
): string[] {
  const changed = changedSettings(env);
  return [
    `Latchkey is listening on ${url} (GraphQL at ${config.publicUrl}${config.graphqlPath})`,
    webServed
      ? `Web app: ${config.publicUrl}/`
      : `Web app: not served (${config.webApp ? 'not built: run npm run build' : 'WEB_APP=false'})`,
    database(config),
    mail(config),
    changed.length ? `Settings that differ from the defaults: ${changed.join(', ')}` : 'Settings: all defaults',
    'Press Ctrl+C to stop.',
  ];
}
