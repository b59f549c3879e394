/**
 * The real `latchkey` command (bin/latchkey.js → dist/, which the global setup
 * test/support/build.ts rebuilds when src/ is newer) as a child process, the
 * way an operator runs it: one-shot commands, and `serve` until it says where
 * it listens. Every child gets a clean environment (PATH plus what the test
 * passes), never the test runner's.
 *
 * @example
 *   const r = await latchkey(['migrate'], { env: { DATABASE_URL: url } });
 *   expect(r).toMatchObject({ status: 0, stdout: 'schema is already current\n' });
 *   const server = await serve({ cwd: tmp }); // …server.url…; await server.stop();
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'latchkey.js');

export interface LatchkeyOptions {
  /** The child's settings, on top of PATH and LOG_LEVEL=warn. */
  env?: Record<string, string>;
  /** Working directory (where the embedded database lives by default); the repository root unless set. */
  cwd?: string;
  /** Standard input (`user create` reads a password there); empty otherwise. */
  input?: string;
}

/** Start `latchkey ...args` with a clean environment; its stdout and stderr are pipes. */
export function spawnLatchkey(
  args: string[],
  { env = {}, cwd = ROOT, input = '' }: LatchkeyOptions = {},
): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: 'pipe',
  });
  child.stdin.end(input);
  return child;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `latchkey ...args` to completion. */
export function latchkey(args: string[], options: LatchkeyOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnLatchkey(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface ServeProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | null>;
}

/**
 * `latchkey serve` on a free loopback port (PORT=0, LOG_LEVEL=info unless
 * `env` says otherwise), resolved once it logs where it listens; rejected
 * with its output if it exits first.
 */
export function serve({ env, cwd }: Omit<LatchkeyOptions, 'input'> = {}): Promise<ServeProcess> {
  const child = spawnLatchkey(['serve'], { cwd, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env } });
  let output = '';
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!m) return;
      resolve({
        url: m[1],
        child,
        output: () => output,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`latchkey serve exited (${code}) before listening:\n${output}`)));
  });
}
