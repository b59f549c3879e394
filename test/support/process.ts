/**
 * The `latchkey` command as an operator runs it: `node bin/latchkey.js …` in
 * a child process, on the compiled build (rebuilt first when src/ is newer).
 *
 * @example
 *   const { code, stderr } = await runLatchkey(['serve'], { env: { PORT: 'abc' } });
 *   const server = await serveLatchkey({ cwd: tmp }); // …server.url…; await server.stop();
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'latchkey.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/**
 * Make sure dist/ is the build of the current src/ (as `npm install` / `npm start` leave it).
 * Builds at most once at a time across test workers (a lock directory).
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(ROOT, 'dist', '.build-lock');
  await mkdir(dirname(lock), { recursive: true });
  for (let tries = 0; ; tries++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (tries > 600) throw new Error(`stale build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const built = await stat(BUILT).then((s) => s.mtimeMs, () => 0);
    if (built < (await newestMtime(join(ROOT, 'src')))) {
      await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The environment of a child: this one without any Latchkey setting, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|REDIS_URL|MAIL_|LATCHKEY_|JWT_|COOKIE_|RATE_LIMIT_|ACCESS_|REFRESH_|REMEMBER_|SESSION_|OTP_|PORT$|HOST$|LOG_LEVEL$|NODE_ENV$)/.test(k)),
  );
  return { ...clean, ...env };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `latchkey ARGS` to completion. */
export function runLatchkey(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: childEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServedLatchkey {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | null>;
}

/** `latchkey serve` on a free port; resolves once it listens. */
export function serveLatchkey(options: { env?: Record<string, string>; cwd?: string } = {}): Promise<ServedLatchkey> {
  const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...options.env };
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: options.cwd ?? ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`latchkey serve did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          output: () => out,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`latchkey serve exited with ${code}:\n${out}`));
    });
  });
}
