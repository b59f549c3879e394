/**
 * The `latchkey` command line (API.md §6), run as a child process the way an
 * operator runs it: its usage. Exit 0 with a useful line; non-zero with a
 * one-line reason. (On PostgreSQL: cli-postgres.test.ts; on an embedded
 * database: cli-embedded.test.ts; `serve` and `migrate`: schema.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { latchkey } from '../support/cli.js';
import { failed } from '../support/cliChecks.js';

describe('usage', () => {
  it('lists every command for help, and refuses bad usage with exit 2 and one line', async () => {
    // Independent runs, started together: each is a process of its own.
    const [help, unknown, noEmail, noEmailRevoke, misspelt, noValue, badSetting] = await Promise.all([
      latchkey(['help']),
      latchkey(['frobnicate']),
      latchkey(['user', 'create']),
      latchkey(['sessions', 'revoke']),
      latchkey(['user', 'create', '--email', 'a@b.io', '--pasword', 'x']),
      latchkey(['user', 'deactivate', '--email']),
      latchkey(['keys', 'rotate'], { env: { JWT_ALG: 'RS512' } }),
    ]);
    expect(help.status).toBe(0);
    for (const command of [
      'serve',
      'migrate',
      'user create',
      'user deactivate',
      'user reactivate',
      'user unlock',
      'user list',
      'user role add|remove',
      'sessions revoke',
      'tokens flush-expired',
      'keys rotate',
    ]) {
      expect(help.stdout).toContain(command);
    }
    failed(unknown, 2, /unknown command: frobnicate/);
    failed(noEmail, 2, /--email is required/);
    failed(noEmailRevoke, 2, /--email is required/);
    failed(misspelt, 2, /Unknown option '--pasword'/);
    failed(noValue, 2, /--email/);
    failed(badSetting, 1, /JWT_ALG="RS512" is invalid/);
  });
});
