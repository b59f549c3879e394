/**
 * Refresh-token rotation as one statement, on PGlite and PostgreSQL: the successor's
 * expiry follows remember-me and never passes the session's end, concurrent rotations
 * of one token rotate once and a loser within the grace gets the winner's token.
 * The grace and reuse rules themselves are the domain's (test/unit/auth/sessions.test.ts),
 * and the contract's over HTTP (token-rules.test.ts §4.3, §4.4): asserted once per level.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noMeta } from '../../src/auth/audit.js';
import { manualClock, type ManualClock } from '../../src/auth/clock.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { openDatabase, type Database } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { databaseTargets } from '../support/databases.js';
import { rawQuery } from '../support/domain.js';
import { TEST_PASSWORD } from '../support/server.js';
import { refreshTokenRow } from '../support/rows.js';

const targets = await databaseTargets();
const DAY = 86_400_000;

describe.each(targets)('refresh rotation on $name', (target) => {
  let database: Database;
  let services: Services;
  let clock: ManualClock;
  let drop: () => Promise<void>;
  let userId: string;

  beforeAll(async () => {
    const db = await target.create();
    drop = db.drop;
    clock = manualClock(Date.UTC(2030, 0, 1, 12, 0, 0, 250));
    const config = loadConfig({
      DATABASE_URL: db.url,
      REFRESH_TOKEN_TTL: '1d',
      REMEMBER_ME_TTL: '30d',
      SESSION_ABSOLUTE_TTL: '40d',
      REFRESH_REUSE_GRACE: '10s',
      RATE_LIMIT_REFRESH_IP: '100000/1m',
      PASSWORD_BLOCK_COMMON: 'false',
    });
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: '' });
    await migrate(database);
    services = await createServices({ config, database, clock });
    const user = await services.accounts.register(
      { email: `rot-${target.name}@example.com`, password: TEST_PASSWORD },
      noMeta,
    );
    userId = user.id;
  });
  afterAll(async () => {
    await services?.close();
    await database?.close();
    await drop?.();
  });

  const start = (rememberMe: boolean) =>
    services.sessions.start(userId, { rememberMe, meta: noMeta, method: 'password', amr: ['pwd'] });

  it('issues a successor that expires by the remember-me choice, in whole seconds', async () => {
    const plain = await start(false);
    clock.advance(60_000);
    const next = await services.sessions.refresh(plain.refreshToken, noMeta);
    expect(next.sessionId).toBe(plain.sessionId);
    expect(next.refreshTokenExpiresAt.getTime()).toBe(Math.floor((clock.now() + DAY) / 1000) * 1000);
    expect(decodeJwt(next.refreshToken).exp).toBe(next.refreshTokenExpiresAt.getTime() / 1000);

    const remembered = await start(true);
    const again = await services.sessions.refresh(remembered.refreshToken, noMeta);
    expect(again.rememberMe).toBe(true);
    expect(again.refreshTokenExpiresAt.getTime()).toBe(Math.floor((clock.now() + 30 * DAY) / 1000) * 1000);
  });

  it("never lets a successor outlive the session's absolute end", async () => {
    const session = await start(true);
    const end = Math.floor((clock.now() + 40 * DAY) / 1000) * 1000;
    clock.advance(20 * DAY);
    const next = await services.sessions.refresh(session.refreshToken, noMeta);
    // 20 days in, remember-me would give 30 more: capped at the 40-day end.
    expect(next.refreshTokenExpiresAt.getTime()).toBe(end);
    expect(decodeJwt(next.refreshToken).exp).toBe(end / 1000);
  });

  it('rotates once under concurrent refreshes; the losers get the winner’s token, and the chain stays one', async () => {
    const session = await start(false);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => services.sessions.refresh(session.refreshToken, noMeta)),
    );
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    const live = await services.sessions.list(userId);
    expect(live.filter((s) => s.id === session.sessionId)).toHaveLength(1);
    // Exactly one rotation was written: the first token (used) and its one successor.
    const rows = await rawQuery<{ used_at: Date | null }>(
      database,
      'select used_at from refresh_tokens where session_id = $1 order by used_at nulls last',
      [session.sessionId],
    );
    expect(rows.map((r) => r.used_at === null)).toEqual([false, true]);
    // The successor works and rotates on.
    const third = await services.sessions.refresh(results[0].refreshToken, noMeta);
    expect(third.refreshToken).not.toBe(results[0].refreshToken);
  });

  it('refuses to rotate for a deactivated user, and leaves the token unused', async () => {
    const other = await services.accounts.register(
      { email: `gone-${target.name}@example.com`, password: TEST_PASSWORD },
      noMeta,
    );
    const session = await services.sessions.start(other.id, {
      rememberMe: false,
      meta: noMeta,
      method: 'password',
      amr: ['pwd'],
    });
    await services.repos.users.setActive(other.id, false);
    await expect(services.sessions.refresh(session.refreshToken, noMeta)).rejects.toMatchObject({
      code: 'TOKEN_REVOKED',
    });
    const found = await refreshTokenRow(services, String(decodeJwt(session.refreshToken).jti));
    expect(found?.token.usedAt).toBeNull();
  });
});
