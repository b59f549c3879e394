/**
 * What an operator sees of auth events, over real HTTP on PGlite and
 * PostgreSQL: an audit_events row for login success and failure, refresh,
 * reuse detected, logout, revoke and password change (with address and user
 * agent, never a secret), and the Prometheus counters at /metrics moving with
 * them, next to the event-loop delay.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import {
  LOGIN,
  REFRESH,
  TEST_PASSWORD,
  jwtPayload,
  loginUser,
  registerUser,
  suiteServer,
  type TestClient,
} from '../support/server.js';
import { scrape } from '../support/metrics.js';

const UA = 'audit-test/1.0';
const NEW_PASSWORD = 'another long passphrase';
const targets = await databaseTargets();

describe.each(targets)('audit events and metrics on $name', (target) => {
  // No grace: a replayed token is reuse at once (the window itself is tested in token-rules).
  const t = suiteServer(target, { env: { REFRESH_REUSE_GRACE: '0s' } });

  const as = { headers: { 'user-agent': UA } };
  const login = (email: string): Promise<TestClient> => loginUser(t, email, TEST_PASSWORD, as);

  it('records each event with who, from where and with what, and counts it', async () => {
    const before = await scrape(t.url);
    const alice = t.client();
    const { email, userId } = await registerUser(alice);

    const s1 = await login(email);
    expect((await t.client().gql(LOGIN, { email, password: 'wrong password!' }, as)).code).toBe('INVALID_CREDENTIALS');
    expect((await t.client().gql(LOGIN, { email: `nobody-${email}`, password: 'wrong password!' }, as)).code).toBe(
      'INVALID_CREDENTIALS',
    );
    const stolen = s1.refreshToken()!;
    expect((await s1.gql(REFRESH, undefined, as)).body.errors).toBeUndefined();
    expect((await t.client().gql(REFRESH, { refreshToken: stolen }, as)).code).toBe('TOKEN_REUSED');
    const s2 = await login(email);
    expect((await s2.gql('mutation { logout }', undefined, as)).body.data.logout).toBe(true);
    const [s3] = [await login(email), await login(email)];
    expect(
      (await alice.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: jwtPayload(s3.token!).sid }, as)).body
        .data.revokeSession,
    ).toBe(true);
    const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
    expect((await alice.gql(change, { c: TEST_PASSWORD, n: NEW_PASSWORD }, as)).body.data.changePassword).toBe(true);

    const rows = await t.sql<{ type: string; user_id: string | null; ip: string; user_agent: string; detail: any }>(
      'select type, user_id, ip, user_agent, detail from audit_events where user_id = $1 or user_id is null order by id',
      [userId],
    );
    const of = (type: string) => rows.filter((r) => r.type === type);
    expect(of('login_succeeded').map((r) => r.detail.method)).toEqual([
      'register',
      'password',
      'password',
      'password',
      'password',
    ]);
    expect(of('login_failed').map((r) => [r.user_id, r.detail.reason])).toEqual([
      [userId, 'wrong_password'],
      [null, 'unknown_email'],
    ]);
    expect(of('refresh')).toHaveLength(1);
    expect(of('refresh_reuse_detected').map((r) => r.detail)).toEqual([
      { sessionId: jwtPayload(stolen).sid, jti: jwtPayload(stolen).jti },
    ]);
    expect(of('logout').map((r) => r.detail)).toEqual([{ sessionId: jwtPayload(s2.token!).sid, reason: 'logout' }]);
    expect(of('session_revoked').map((r) => r.detail)).toEqual([
      { sessionId: jwtPayload(s3.token!).sid, reason: 'revoked' },
      { sessions: 1, reason: 'password_changed' },
    ]);
    expect(of('password_changed')).toHaveLength(1);
    for (const row of rows.filter(
      (r) => r.type !== 'register' && r.type !== 'otp_requested' && r.detail?.method !== 'register',
    )) {
      expect(row, row.type).toMatchObject({ ip: '127.0.0.1', user_agent: UA });
    }
    // Never a secret: no password, no token, no code.
    const all = JSON.stringify(await t.sql('select * from audit_events'));
    for (const secret of [TEST_PASSWORD, NEW_PASSWORD, 'wrong password!', stolen, s1.token!, stolen.split('.')[2]])
      expect(all).not.toContain(secret);

    const after = await scrape(t.url);
    const moved = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    expect(moved('latchkey_logins_total{result="success"}')).toBe(5);
    expect(moved('latchkey_logins_total{result="failure"}')).toBe(2);
    expect(moved('latchkey_refreshes_total')).toBe(1);
    expect(moved('latchkey_refresh_reuse_detected_total')).toBe(1);
    // Reuse, logout, revokeSession, and the one other session the password change ended.
    expect(moved('latchkey_revocations_total')).toBe(4);
    expect(after.latchkey_revoked_sessions).toBe(4);
  });

  it('exposes the event-loop delay next to the counters', async () => {
    const metrics = await scrape(t.url);
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p50_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_eventloop_lag_max_seconds',
    ]) {
      expect(metrics[name], name).toBeGreaterThanOrEqual(0);
    }
    expect(metrics.process_cpu_seconds_total).toBeGreaterThan(0);
  });
});
