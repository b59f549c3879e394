/**
 * The peer: better-auth, installed only under bench/peers/better-auth (its own
 * package.json and lock; `npm ci` there on demand), run as two servers on its own fresh
 * database — cookie cache off (its default: a database read per get-session) and on
 * (a signed session_data cookie next to the session token; the client sends both).
 * When it cannot be installed or started, the peer scenarios are skipped with the reason.
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FreshDatabase } from './database.js';
import { freePort, startProcess, type ServerProcess } from './processes.js';
import { PASSWORD } from './seed.js';

export const PEER_DIR = join(process.cwd(), 'bench', 'peers', 'better-auth');
export const peerEmailOf = (i: number) => `peer${i}@bench.example`;

export interface PeerServer {
  server: ServerProcess;
  url: string;
}

export interface Peer {
  version: string;
  plain: PeerServer;
  cached: PeerServer;
  /** Per user: the Cookie header for the plain server and for the cookie-cache server. */
  cookies: { plain: string; cached: string }[];
  stop(): Promise<void>;
}

/** Install the peer's locked dependencies unless present; resolves to its version. */
export async function ensurePeerInstalled(log: (line: string) => void): Promise<string> {
  const manifest = join(PEER_DIR, 'node_modules', 'better-auth', 'package.json');
  const installed = await access(manifest).then(
    () => true,
    () => false,
  );
  if (!installed) {
    log('installing the better-auth peer (npm ci in bench/peers/better-auth) …');
    try {
      await promisify(execFile)('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: PEER_DIR,
        timeout: 300_000,
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(
        `npm ci in bench/peers/better-auth failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`,
      );
    }
  }
  return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
}

/** The `name=value` pairs of Set-Cookie headers, joined as a Cookie header. */
function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.slice(0, c.indexOf(';')))
    .join('; ');
}

async function signUp(url: string, i: number): Promise<void> {
  const res = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: peerEmailOf(i), password: PASSWORD, name: `Peer User ${i}` }),
  });
  if (!res.ok) throw new Error(`better-auth sign-up answered ${res.status}: ${await res.text()}`);
}

async function signIn(url: string, i: number): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: peerEmailOf(i), password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`better-auth sign-in answered ${res.status}: ${await res.text()}`);
  return cookieHeader(res);
}

export async function startPeer(options: {
  database: FreshDatabase;
  users: number;
  env: Record<string, string | undefined>;
  logFile: string;
  log: (line: string) => void;
}): Promise<Peer> {
  const version = await ensurePeerInstalled(options.log);
  const started: ServerProcess[] = [];
  const start = async (cache: 'off' | 'on'): Promise<PeerServer> => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await startProcess({
      name: `better-auth (cookie cache ${cache})`,
      args: [join(PEER_DIR, 'server.mjs')],
      cwd: PEER_DIR,
      env: {
        ...options.env,
        DATABASE_URL: options.database.url,
        PORT: String(port),
        COOKIE_CACHE: cache,
        BETTER_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
      },
      ready: `${url}/api/auth/ok`,
      logFile: options.logFile,
    });
    started.push(server);
    return { server, url };
  };
  try {
    // One after the other: each applies the schema (getMigrations) when it starts.
    const plain = await start('off');
    const cached = await start('on');
    const users = Array.from({ length: options.users }, (_, i) => i);
    // Sign-ups hash with scrypt; a few at a time.
    for (let i = 0; i < users.length; i += 4) await Promise.all(users.slice(i, i + 4).map((u) => signUp(plain.url, u)));
    const cookies: Peer['cookies'] = [];
    for (const u of users) cookies.push({ plain: await signIn(plain.url, u), cached: await signIn(cached.url, u) });
    if (!cookies[0].cached.includes('session_data='))
      throw new Error('better-auth with cookie cache on set no session_data cookie');
    return {
      version,
      plain,
      cached,
      cookies,
      stop: async () => {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.stop()));
    throw e;
  }
}
