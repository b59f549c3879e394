/**
 * `latchkey serve` (what `npm start` runs) for a person at a terminal: one plain
 * line per fact — where it listens, the web app, the database and where its
 * data lives, where mail goes, the settings changed from their defaults — and
 * JSON log lines when its output is not a terminal. The terminal is a real
 * pseudo-terminal (util-linux `script`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const BIN = resolve('bin/latchkey.js');
const ENV = {
  DATABASE_URL: 'memory:',
  PORT: '0',
  HOST: '127.0.0.1',
  REVOCATION_FEED_TOKEN: 'a-secret-feed-token-of-32-characters-or-more',
  WEB_APP: 'false',
};

describe('latchkey serve output', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGTERM');
  });

  function start(command: string, args: string[]) {
    const child = spawn(command, args, {
      env: { ...process.env, ...ENV, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    return () => out.replace(/\r/g, '');
  }

  it('prints one plain line per fact at a terminal', { timeout: 60_000 }, async () => {
    const output = start('script', ['-qfec', `${process.execPath} ${BIN} serve`, '/dev/null']);
    await vi.waitUntil(() => output().includes('Press Ctrl+C'), { timeout: 50_000, interval: 100 });
    const lines = output().trim().split('\n');
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Latchkey is listening on http:\/\/127\.0\.0\.1:\d+ \(GraphQL at http:\/\/localhost:0\/graphql\)$/,
        ),
        'Web app: not served (WEB_APP=false)',
        'Database: in-memory PGlite (everything is lost when the server stops)',
        'Mail: printed here, not sent (set MAIL_URL=smtp://… to send it)',
        expect.stringMatching(/^Settings that differ from the defaults: .*REVOCATION_FEED_TOKEN=\(hidden\)/),
      ]),
    );
    expect(output()).not.toContain(ENV.REVOCATION_FEED_TOKEN);
    expect(output()).toMatch(/differ from the defaults: PORT=0, DATABASE_URL=memory:, /);
  });

  it('writes JSON log lines when its output is not a terminal', { timeout: 60_000 }, async () => {
    const output = start(process.execPath, [BIN, 'serve']);
    await vi.waitUntil(() => output().includes('Server listening at'), { timeout: 50_000, interval: 100 });
    const first = output().split('\n')[0];
    expect(JSON.parse(first)).toMatchObject({ level: 30 });
    expect(output()).not.toContain('Press Ctrl+C');
  });
});
