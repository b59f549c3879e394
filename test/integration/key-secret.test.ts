/**
 * What a copy of the database gives away, and what the server says about it:
 * production refuses to start without LATCHKEY_KEY_SECRET, PostgreSQL without
 * it warns at every start, and stored one-time codes are keyed hashes that the
 * codes table alone cannot turn back into a live code.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { databaseTargets, startOnDatabase } from '../support/databases.js';
import { lastCodeTo } from '../support/mail.js';
import { registerUser, startTestServer, suiteServer } from '../support/server.js';

const targets = await databaseTargets();
const SECRET = 'a key-encryption secret for tests';
const warning = (lines: string[]) => lines.filter((l) => l.includes('LATCHKEY_KEY_SECRET is not set'));

describe.each(targets)('LATCHKEY_KEY_SECRET on $name', (target) => {
  it('refuses to start in production without it, naming the setting', async () => {
    const owned = await target.create();
    try {
      await expect(startTestServer({ db: owned.url, env: { NODE_ENV: 'production' } })).rejects.toThrow(
        /NODE_ENV=production requires LATCHKEY_KEY_SECRET/,
      );
    } finally {
      await owned.drop();
    }
  });

  it(`warns at start without it ${target.name === 'postgres' ? 'on every start' : 'never (the embedded database is a local file)'}, and not with it`, async () => {
    const lines: string[] = [];
    await startOnDatabase(await target.create(), async (url) => {
      // Twice on the same PostgreSQL database: every start says it, not only the first.
      for (let i = 0; i < (target.name === 'postgres' ? 2 : 1); i++) {
        await (await startTestServer({ db: url, logLines: lines, env: { LOG_LEVEL: 'info' } })).close();
      }
      const withSecret: string[] = [];
      const third = await startTestServer({
        db: url,
        logLines: withSecret,
        env: { LOG_LEVEL: 'info', LATCHKEY_KEY_SECRET: SECRET },
      });
      expect(warning(withSecret)).toEqual([]);
      return third;
    }).then((t) => t.close());
    expect(warning(lines)).toHaveLength(target.name === 'postgres' ? 2 : 0);
    for (const line of warning(lines)) expect(JSON.parse(line).level).toBe(40);
  });

  describe('stored codes', () => {
    const t = suiteServer(target, { env: { LATCHKEY_KEY_SECRET: SECRET } });

    it('are HMACs under an encrypted server key: the codes table alone gives no live code', async () => {
      const { email, userId } = await registerUser(t.client());
      const code = await lastCodeTo(t, email);
      const [row] = await t.sql<{ code_hash: string }>(
        'select code_hash from otp_codes where user_id = $1 and consumed_at is null',
        [userId],
      );
      const [scheme, kid, salt, digest] = row.code_hash.split('$');
      expect(scheme).toBe('hmac');
      const [key] = await t.sql<{ private_jwk: string }>(
        `select private_jwk from signing_keys where kid = $1 and use = 'otp'`,
        [kid],
      );
      expect(key.private_jwk).toMatch(/^enc:v1:/);
      // The attack the unkeyed hash allowed: try all million codes against the row. Nothing matches.
      const saltBytes = Buffer.from(salt, 'base64url');
      let found: string | undefined;
      for (let i = 0; i < 1_000_000 && !found; i++) {
        const guess = String(i).padStart(6, '0');
        const h = createHash('sha256')
          .update(saltBytes)
          .update(`\0VERIFY_EMAIL\0${email}\0${guess}`)
          .digest('base64url');
        if (h === digest) found = guess;
      }
      expect(found).toBeUndefined();
      expect(code).toMatch(/^\d{6}$/);
    });
  });
});
