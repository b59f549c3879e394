/**
 * Start a real Latchkey server for a test (listening on a random loopback
 * port) and talk to it over HTTP like a browser would: a cookie jar, JSON
 * GraphQL requests, bearer tokens.
 *
 * @example
 *   const t = await startTestServer({ db: 'memory:' });
 *   const alice = t.client();
 *   await alice.gql('mutation { register(email: "a@x.io", password: "long enough") { accessToken } }');
 *   await t.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cookie, parseString } from 'set-cookie-parser';
import { type ManualClock, manualClock } from '../../src/auth/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { REFRESH_COOKIE } from '../../src/http/cookies.js';
import { startServer, type Server } from '../../src/main.js';
import { type DatabaseTarget, startOnDatabase } from './databases.js';
import { memoryDatabase, rawQuery } from './domain.js';
import { type Later, perSuite, resolveLater } from './suite.js';

export interface TestServer {
  server: Server;
  url: string;
  config: Config;
  clock: ManualClock | undefined;
  /** Where mail goes unless the test set MAIL_URL (file transport: one JSON file per message). */
  mailDir: string | undefined;
  client(): TestClient;
  /** Plain SQL on the server's database (test setup and assertions only). */
  sql<T = Record<string, any>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[] };
  /** `extensions.code` of the first error, if any. */
  code: string | undefined;
  setCookies: string[];
}

export interface TestClient {
  /** POST a GraphQL request as JSON, sending and keeping cookies. */
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string; headers?: Record<string, string> },
  ): Promise<GqlResponse<T>>;
  /** Bearer token used when `gql` is not given one. */
  token: string | undefined;
  cookies: Map<string, string>;
  /** The refresh token in the cookie jar, if any. */
  refreshToken(): string | undefined;
}

export interface TestServerOptions {
  /** DATABASE_URL: 'memory:' or a postgres URL. */
  db: string;
  env?: Record<string, string>;
  /** Use an injected manual clock (starts at the real now). */
  manualClock?: boolean;
  /** Collect the server's own log lines (its production logger, at LOG_LEVEL) here. */
  logLines?: string[];
}

export const TEST_PASSWORD = 'correct horse battery staple';

/**
 * Every test client comes from 127.0.0.1, so the per-address limits are raised
 * for tests; the per-account and per-email ones keep their defaults. Tests of
 * the limits themselves set their own (an empty string restores the default).
 */
export const TEST_ADDRESS_LIMITS: Record<string, string> = {
  RATE_LIMIT_LOGIN_IP: '10000/15m',
  RATE_LIMIT_OTP_REQUEST_IP: '10000/15m',
  RATE_LIMIT_OTP_VERIFY_IP: '10000/15m',
  RATE_LIMIT_REFRESH_IP: '100000/1m',
  RATE_LIMIT_REGISTER_IP: '10000/1h',
};

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const mailDir = options.env?.MAIL_URL ? undefined : await mkdtemp(join(tmpdir(), 'latchkey-mail-'));
  const config = loadConfig({
    DATABASE_URL: options.db,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    LATCHKEY_AUTO_MIGRATE: 'true',
    ...(mailDir ? { MAIL_URL: `file:${mailDir}` } : {}),
    ...TEST_ADDRESS_LIMITS,
    ...options.env,
  });
  const clock = options.manualClock ? manualClock(Date.now()) : undefined;
  const logging = options.logLines
    ? { logStream: { write: (line: string) => void options.logLines!.push(line) } }
    : { logger: process.env.TEST_LOG ? { level: 'error' } : false };
  // In memory: a copy of the run's migrated template, not a new database migrated from nothing.
  const database = options.db === 'memory:' ? await memoryDatabase() : undefined;
  const server = await startServer(config, { clock, database, ...logging }).catch(async (e) => {
    await database?.close(); // a start refused before it took the database over
    throw e;
  });
  const url = server.url;
  return {
    server,
    url,
    config,
    clock,
    mailDir,
    client: () => createClient(url),
    sql: (query, params) => rawQuery(server.services.database, query, params),
    close: async () => {
      await server.close();
      if (mailDir) await rm(mailDir, { recursive: true, force: true });
    },
  };
}

export interface SuiteServerOptions extends Omit<TestServerOptions, 'db'> {
  /** Runs on the fresh database before the server starts on it (e.g. `latchkey migrate`). */
  prepare?(databaseUrl: string): Promise<void>;
}

/**
 * The test server of a suite, on a fresh database of `target`: started before
 * the suite's tests, closed (and the database dropped) after them. `options`
 * may be a function, called when the suite starts (after earlier hooks).
 *
 * @example
 *   describe.each(targets)('on $name', (target) => {
 *     const t = suiteServer(target, { manualClock: true });
 *     it('…', async () => { await registerUser(t.client()); });
 *   });
 *   const m = suiteServer(pglite, () => ({ env: { MAIL_URL: smtp.url } }));
 */
export function suiteServer(target: DatabaseTarget, options: Later<SuiteServerOptions> = {}): TestServer {
  return perSuite(
    async () => {
      const { prepare, ...rest } = resolveLater(options);
      return startOnDatabase(await target.create(), async (url) => {
        await prepare?.(url);
        return startTestServer({ ...rest, db: url });
      });
    },
    (t) => t.close(),
  );
}

export function createClient(url: string): TestClient {
  const cookies = new Map<string, string>();
  const client: TestClient = {
    token: undefined,
    cookies,
    refreshToken: () => cookies.get(REFRESH_COOKIE),
    async gql(query, variables, options = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      const token = options.token ?? client.token;
      if (token) headers.authorization = `Bearer ${token}`;
      if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const setCookies = res.headers.getSetCookie();
      for (const c of setCookies) {
        const { name, value, maxAge, expires } = parseSetCookie(c);
        // As a browser reads it: Max-Age, when given, wins over Expires.
        const expired = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires.getTime() <= Date.now();
        if (expired || value === '') cookies.delete(name);
        else cookies.set(name, value);
      }
      const body = (await res.json()) as GqlResponse['body'];
      return { status: res.status, headers: res.headers, body, code: body.errors?.[0]?.extensions?.code, setCookies };
    },
  };
  return client;
}

export type SetCookie = Cookie;

/** One Set-Cookie header, as a browser reads it (set-cookie-parser; the value as sent, not URI-decoded). */
export const parseSetCookie = (header: string): SetCookie => parseString(header, { decodeValues: false });

/** The key ids the server's JWKS lists, sorted. */
export async function jwksKids(baseUrl: string): Promise<string[]> {
  const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid).sort();
}

/** Decode a JWT's payload (no verification: for assertions only). */
export function jwtPayload(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}
export function jwtHeader(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

export const REGISTER = `mutation Register($email: String!, $password: String!, $rememberMe: Boolean, $displayName: String) {
  register(email: $email, password: $password, rememberMe: $rememberMe, displayName: $displayName) {
    accessToken accessTokenExpiresAt refreshTokenExpiresAt refreshToken user { id email profile { displayName } }
  }
}`;
export const LOGIN = `mutation Login($email: String!, $password: String!, $rememberMe: Boolean) {
  login(email: $email, password: $password, rememberMe: $rememberMe) {
    accessToken accessTokenExpiresAt refreshTokenExpiresAt refreshToken user { id email }
  }
}`;
export const REFRESH = `mutation Refresh($refreshToken: String) {
  refreshToken(refreshToken: $refreshToken) { accessToken accessTokenExpiresAt refreshTokenExpiresAt refreshToken user { id } }
}`;
export const ME = `{ me { id email emailVerified profile { displayName bio avatarUrl } } }`;

/**
 * Sign an existing user in from a device of its own: a new client holding its tokens.
 *
 * @example
 *   const phone = await loginUser(t, email, TEST_PASSWORD, { rememberMe: true });
 */
export async function loginUser(
  t: TestServer,
  email: string,
  password = TEST_PASSWORD,
  { rememberMe = false, headers }: { rememberMe?: boolean; headers?: Record<string, string> } = {},
): Promise<TestClient> {
  const device = t.client();
  const res = await device.gql(LOGIN, { email, password, rememberMe }, { headers });
  if (res.body.errors) throw new Error(`login failed: ${JSON.stringify(res.body.errors)}`);
  device.token = res.body.data.login.accessToken;
  return device;
}

let counter = 0;
/** A unique email for this test run. */
export const uniqueEmail = (prefix = 'user') => `${prefix}-${process.pid}-${Date.now()}-${++counter}@example.test`;

/** Register a user through the API; the client keeps its refresh cookie and token. */
export async function registerUser(
  client: TestClient,
  opts: { email?: string; rememberMe?: boolean; displayName?: string } = {},
) {
  const email = opts.email ?? uniqueEmail();
  const res = await client.gql(REGISTER, {
    email,
    password: TEST_PASSWORD,
    rememberMe: opts.rememberMe ?? false,
    displayName: opts.displayName,
  });
  if (res.body.errors) throw new Error(`register failed: ${JSON.stringify(res.body.errors)}`);
  client.token = res.body.data.register.accessToken;
  return { email, userId: res.body.data.register.user.id as string, res };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/**
 * Any HTTP request to a test server, for what `gql` cannot send: other
 * methods, content types, malformed or oversized bodies.
 *
 * @example
 *   const res = await send(t.url, '/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
 */
export async function send(baseUrl: string, path: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(`${baseUrl}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
