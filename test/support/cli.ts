/**
 * Running the real `latchkey` command (bin/latchkey.js → dist/) as a child
 * process, the way an operator does: one-shot commands, and `serve` until it
 * says where it listens. The child gets a clean environment (PATH plus what
 * the test passes), never the test runner's.
 *
 * @example
 *   const r = await latchkey(['migrate'], { env: { DATABASE_URL: url } });
 *   expect(r).toMatchObject({ status: 0, stdout: 'schema is already current\n' });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/latchkey.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const childEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env });

/** Run `latchkey ...args` to completion, with `input` on standard input. */
export function latchkey(args: string[], { env = {}, input }: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | null>;
}

/**
 * `latchkey serve` on a free port, resolved once it logs where it listens;
 * rejected with its output if it exits first.
 */
export function serve(env: Record<string, string>): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: childEnv({ PORT: '0', LOG_LEVEL: 'info', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const onData = (d: Buffer) => {
      output += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!m) return;
      child.stdout!.off('data', onData);
      resolve({
        url: m[1],
        child,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (output += d));
    void exited.then((code) => reject(new Error(`latchkey serve exited (${code}) before listening:\n${output}`)));
  });
}
