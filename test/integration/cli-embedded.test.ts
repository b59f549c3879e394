/**
 * The `latchkey` command line (API.md §6) on an embedded data directory,
 * which a server and a command cannot share (the directory is locked). The
 * directory starts as a copy of the run's migrated template.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latchkey } from '../support/cli.js';
import {
  OTHER_PASSWORD,
  UUID,
  expireSome,
  failed,
  flushLine,
  flushedCorrectly,
  reconnect,
  succeeded,
} from '../support/cliChecks.js';
import { migratedDataDir } from '../support/databases.js';
import { ME, REFRESH, jwksKids, loginUser, registerUser, startTestServer, uniqueEmail } from '../support/server.js';

describe('on the embedded database (a data directory)', () => {
  let data: Awaited<ReturnType<typeof migratedDataDir>>;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    data = await migratedDataDir();
    dir = data.dir;
    env = { LATCHKEY_DATA_DIR: dir };
  });
  afterAll(async () => {
    await data?.remove();
  });
  /** A server on the directory (DATABASE_URL empty: the embedded database). */
  const serveDir = () => startTestServer({ db: '', env: { LATCHKEY_DATA_DIR: dir } });

  // Seven openings of an embedded database (five commands, two servers): slow on a busy machine.
  it('runs every command on it while no server holds it, and the restarted server honours what they did', {
    timeout: 150_000,
  }, async () => {
    const email = uniqueEmail('embedded');
    succeeded(
      await latchkey(['user', 'create', '--email', email], { env, input: `${OTHER_PASSWORD}\n` }),
      new RegExp(`^created user ${UUID}`),
    );

    let t = await serveDir();
    const alice = await loginUser(t, email, OTHER_PASSWORD);
    const [bob, carol] = [t.client(), t.client()];
    const b = await registerUser(bob);
    await registerUser(carol);
    const setup = await expireSome(t, (await registerUser(t.client())).email);
    const oldKid = decodeProtectedHeader(carol.token!).kid;
    // Two processes on one embedded database would wedge both: the command refuses, the server carries on.
    failed(
      await latchkey(['sessions', 'revoke', '--email', email], { env }),
      1,
      /embedded database in .* is in use by process \d+.*stop it first/,
    );
    expect((await alice.gql(ME)).body.data.me.email).toBe(email);
    await t.close();

    // A lock left by a process that is gone (a crash) does not stand in the way.
    await writeFile(join(dir, 'latchkey.pid'), '999999999');
    succeeded(await latchkey(['sessions', 'revoke', '--email', email], { env }), /^revoked 1 session\(s\)/);
    succeeded(await latchkey(['user', 'deactivate', '--email', b.email], { env }), /^deactivated/);
    succeeded(
      await latchkey(['keys', 'rotate'], { env }),
      /^new signing key \S+ is published; it signs from \S+ \(KEY_ACTIVATION_DELAY\); new refresh key \S+ is active; 2 old key/,
    );
    succeeded(await latchkey(['tokens', 'flush-expired'], { env }), flushLine(setup.codes));

    t = await serveDir();
    try {
      for (const client of [alice, bob]) expect((await reconnect(t, client).gql(ME)).code).toBe('TOKEN_REVOKED');
      expect((await reconnect(t, bob).gql(REFRESH)).code).toBe('TOKEN_REVOKED');
      const kids = await jwksKids(t.url);
      expect(kids).toHaveLength(2);
      expect(kids).toContain(oldKid);
      expect((await reconnect(t, carol).gql(ME)).body.data.me).not.toBeNull();
      await flushedCorrectly(t, { ...setup, kept: reconnect(t, setup.kept) });
    } finally {
      await t.close();
    }
  });
});
