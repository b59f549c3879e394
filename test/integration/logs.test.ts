/**
 * Secrets never reach the logs. A server logging at `trace` (its production
 * logger, read here line by line) goes through every flow that carries one —
 * sign-up, login (right and wrong), refresh (cookie and argument), one-time
 * codes, password reset and change, a mutation sent over GET, and internal
 * errors raised while a password is in hand — and no password, code, token,
 * cookie value or password hash appears anywhere in what it wrote.
 */
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger, loggerOptions } from '../../src/http/logging.js';
import { pglite } from '../support/databases.js';
import { lastCodeTo } from '../support/mail.js';
import {
  LOGIN,
  REFRESH,
  REGISTER,
  parseSetCookie,
  send,
  suiteServer,
  uniqueEmail,
  type GqlResponse,
} from '../support/server.js';

describe('logs at LOG_LEVEL=trace', () => {
  const lines: string[] = [];
  const t = suiteServer(pglite, { logLines: lines, env: { LOG_LEVEL: 'trace', EXPOSE_REFRESH_TOKEN: 'true' } });

  it('hold no password, code, token, cookie or hash from any flow', async () => {
    const secrets: string[] = [];
    const codes: string[] = [];
    /** Keep every token a response handed out. */
    const keep = (res: GqlResponse) => {
      for (const c of res.setCookies) secrets.push(parseSetCookie(c).value);
      JSON.stringify(res.body, (key, value) => {
        if ((key === 'accessToken' || key === 'refreshToken') && typeof value === 'string') secrets.push(value);
        return value;
      });
      return res;
    };
    const password = (label: string) => {
      const p = `pw-${label}-${Math.random().toString(36).slice(2)}-secret`;
      secrets.push(p);
      return p;
    };

    const email = uniqueEmail('logs');
    const first = password('register');
    const alice = t.client();
    const registered = keep(await alice.gql(REGISTER, { email, password: first, displayName: 'Alice' }));
    expect(registered.body.errors).toBeUndefined();
    alice.token = registered.body.data.register.accessToken;
    codes.push(await lastCodeTo(t, email)); // the sign-up confirmation

    const wrong = password('wrong');
    expect((await t.client().gql(LOGIN, { email, password: wrong })).code).toBe('INVALID_CREDENTIALS');
    expect(keep(await alice.gql(LOGIN, { email, password: first, rememberMe: true })).body.errors).toBeUndefined();
    expect(keep(await alice.gql(REFRESH)).body.errors).toBeUndefined();
    const byArgument = keep(await t.client().gql(REFRESH, { refreshToken: alice.cookies.get('latchkey_refresh') }));
    expect(byArgument.body.errors).toBeUndefined();

    // A wrong token and a wrong code are secrets of someone, too.
    const forged = `${alice.token}x`;
    secrets.push(forged);
    expect((await t.client().gql('{ me { id } }', undefined, { token: forged })).code).toBe('TOKEN_INVALID');

    const otp = 'mutation($e: String!, $p: OtpPurpose) { requestOtp(email: $e, purpose: $p) }';
    await t.client().gql(otp, { e: email, p: 'LOGIN' });
    const loginCode = await lastCodeTo(t, email);
    codes.push(loginCode);
    const verify = 'mutation($e: String!, $c: String!) { verifyOtp(email: $e, code: $c) { accessToken refreshToken } }';
    const wrongCode = loginCode === '000000' ? '000001' : '000000';
    expect((await t.client().gql(verify, { e: email, c: wrongCode })).code).toBe('OTP_INVALID');
    expect(keep(await t.client().gql(verify, { e: email, c: loginCode })).body.errors).toBeUndefined();

    await t.client().gql(otp, { e: email, p: 'PASSWORD_RESET' });
    const resetCode = await lastCodeTo(t, email);
    codes.push(resetCode);
    const second = password('reset');
    const reset = await t
      .client()
      .gql('mutation($e: String!, $c: String!, $p: String!) { resetPassword(email: $e, code: $c, newPassword: $p) }', {
        e: email,
        c: resetCode,
        p: second,
      });
    expect(reset.body.data.resetPassword).toBe(true);

    const bob = t.client();
    const login = keep(await bob.gql(LOGIN, { email, password: second }));
    bob.token = login.body.data.login.accessToken;
    const third = password('changed');
    const change = 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
    expect((await bob.gql(change, { c: second, n: third })).body.data.changePassword).toBe(true);

    // Credentials in a URL: a mutation over GET is refused, and its query string is not logged.
    const overGet = password('get');
    const get = await send(
      t.url,
      `/graphql?${new URLSearchParams({ query: `mutation { login(email: "${email}", password: "${overGet}") { accessToken } }` })}`,
    );
    expect(get.status).toBe(405);

    // Internal errors while a password is in hand: the failed SQL is logged, its parameters (a hash) never.
    const { db } = t.server.services.database;
    await db.execute(sql`alter table users rename to users_away`);
    try {
      expect((await t.client().gql(LOGIN, { email, password: third })).code).toBe('INTERNAL_SERVER_ERROR');
      expect((await t.client().gql(REGISTER, { email: uniqueEmail(), password: password('broken') })).code).toBe(
        'INTERNAL_SERVER_ERROR',
      );
      expect((await bob.gql(change, { c: third, n: password('never') })).code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await db.execute(sql`alter table users_away rename to users`);
    }
    await t.server.services.outbox.idle();

    const log = lines.join('');
    // The logs did record these requests and errors (so their silence about secrets means something).
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.filter((l) => l.includes('"msg":"incoming request"')).length).toBeGreaterThan(10);
    const internal = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50 && l.err);
    expect(internal.length).toBeGreaterThanOrEqual(3);
    expect(internal.some((l) => /users/.test(l.err.message) && l.reqId)).toBe(true);

    for (const secret of secrets) expect(log.includes(secret), `secret ${secret.slice(0, 12)}… in logs`).toBe(false);
    for (const code of codes)
      expect(log, `code ${code} in logs`).not.toMatch(new RegExp(`(?<![\\d.])${code}(?![\\d.])`));
    expect(log).not.toContain('$argon2id$');
    expect(log).not.toContain(email); // bound parameters stay out, and so does the address
    expect(log).not.toMatch(/authorization|bearer /i);
  });
});

describe('request loggers', () => {
  /** A Fastify app with the server's logger at `level`, writing into `lines`. */
  async function appLoggingAt(level: string, lines: string[]) {
    const logger: object = loggerOptions(level, { write: (l) => void lines.push(l) });
    const app = Fastify({ logger, childLoggerFactory: lazyChildLogger });
    app.get('/quiet', async (request) => {
      request.log.debug('a debug line');
      return 'ok';
    });
    app.get('/says', async (request) => {
      request.log.info({ token: 'tok-secret', input: { password: 'pw-secret' } }, 'an info line');
      request.log.child({ step: 'inner' }).warn('a child line');
      return 'ok';
    });
    app.get('/verbose', { logLevel: 'debug' }, async (request) => {
      request.log.debug('a route at debug');
      return 'ok';
    });
    await app.ready();
    return app;
  }

  it('write each line at its level, with the request id and the redaction, and nothing below the level', async () => {
    const lines: string[] = [];
    const app = await appLoggingAt('info', lines);
    try {
      await app.inject('/quiet');
      expect(lines.join('')).not.toContain('a debug line');
      const says = await app.inject('/says');
      const [info, child] = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'an info line' || l.msg === 'a child line');
      expect(info).toMatchObject({
        level: 30,
        reqId: expect.any(String),
        token: '[redacted]',
        input: { password: '[redacted]' },
      });
      expect(says.statusCode).toBe(200);
      expect(child).toMatchObject({ level: 40, reqId: info.reqId, step: 'inner' });
      await app.inject('/verbose');
      expect(lines.some((l) => l.includes('a route at debug'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
