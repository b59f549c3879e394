/**
 * What the command-line suites (test/integration/cli*.test.ts) check a run
 * of `latchkey` against, and the database states they set up for it.
 */
import { expect } from 'vitest';
import type { CliResult } from './cli.js';
import { ME, REFRESH, jwtPayload, loginUser, type TestClient, type TestServer } from './server.js';

export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const OTHER_PASSWORD = 'typed on standard input, long';

/** Exit 0, one line on stdout matching `line`, nothing on stderr. */
export function succeeded(r: CliResult, line: RegExp) {
  expect(r, r.stderr).toMatchObject({ status: 0, stderr: '' });
  expect(r.stdout).toMatch(/^[^\n]+\n$/);
  expect(r.stdout.trim()).toMatch(line);
}

/** Non-zero `status`, one `latchkey: …` line on stderr matching `reason`, nothing on stdout. */
export function failed(r: CliResult, status: number, reason: RegExp) {
  expect(r.status, r.stdout + r.stderr).toBe(status);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^latchkey: [^\n]+\n$/);
  expect(r.stderr).toMatch(reason);
}

/** The same browser (token and cookies) talking to another server. */
export function reconnect(t: TestServer, from: TestClient): TestClient {
  const client = t.client();
  client.token = from.token;
  for (const [name, value] of from.cookies) client.cookies.set(name, value);
  return client;
}

/** The line `tokens flush-expired` prints for what expireSome set up. */
export const flushLine = (codes: number) =>
  new RegExp(
    `^deleted 1 expired refresh token\\(s\\) and 2 dead session\\(s\\); ${codes} expired one-time code\\(s\\)$`,
  );

/** Whether the server refuses `client`'s access token: within 1 s of a revocation is the contract's own promise. */
export const revoked = (client: TestClient) => async () => (await client.gql(ME)).code === 'TOKEN_REVOKED';

/**
 * Expire rows the way time would: one session's refresh token, one session's
 * absolute end, every one-time code. `flush-expired` must remove exactly these.
 */
export async function expireSome(
  t: TestServer,
  email: string,
): Promise<{ expiredToken: string; pastEnd: string; kept: TestClient; codes: number }> {
  const [a, b, kept] = [await loginUser(t, email), await loginUser(t, email), await loginUser(t, email)];
  const expiredToken = jwtPayload(a.token!).sid;
  const pastEnd = jwtPayload(b.token!).sid;
  await t.client().gql(`mutation($email: String!) { requestOtp(email: $email) }`, { email });
  await t.sql(`update refresh_tokens set expires_at = now() - interval '1 day' where session_id = $1`, [expiredToken]);
  await t.sql(`update sessions set expires_at = now() - interval '1 hour' where id = $1`, [pastEnd]);
  const codes = (await t.sql(`update otp_codes set expires_at = now() - interval '1 hour' returning id`)).length;
  expect(codes).toBeGreaterThan(0);
  return { expiredToken, pastEnd, kept, codes };
}

export async function flushedCorrectly(
  t: TestServer,
  { expiredToken, pastEnd, kept }: Awaited<ReturnType<typeof expireSome>>,
) {
  const left = await t.sql<{ id: string }>('select id from sessions where id = any($1::uuid[])', [
    [expiredToken, pastEnd, jwtPayload(kept.token!).sid],
  ]);
  expect(left.map((r) => r.id)).toEqual([jwtPayload(kept.token!).sid]);
  expect(await t.sql('select 1 from otp_codes')).toEqual([]);
  expect((await kept.gql(REFRESH)).body.errors).toBeUndefined();
}
