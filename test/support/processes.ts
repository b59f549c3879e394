/**
 * Helpers for tests that run real programs: a free loopback port, a command's
 * output, waiting for a condition (polled, with a deadline that fails the test
 * rather than a timed assertion).
 *
 * @example
 *   const port = await freePort();
 *   await waitUntil(async () => (await fetch(url)).ok, 'the server answers');
 */
import { execFile } from 'node:child_process';

/** A TCP port on 127.0.0.1 that nothing listens on right now (the bench's, which starts servers too). */
export { freePort } from '../../bench/processes.js';

/** Run a program; resolves with its output, rejects with its stderr when it fails. */
export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            Object.assign(new Error(`${file} ${args.join(' ')} failed: ${stderr || err.message}`), { stdout, stderr }),
          );
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** The absolute path of a program on PATH, or undefined. */
export async function which(program: string): Promise<string | undefined> {
  return run('which', [program]).then(
    ({ stdout }) => stdout.trim() || undefined,
    () => undefined,
  );
}

/**
 * Poll `check` (every 50 ms) until it returns something truthy, and return that.
 * Tests use `vi.waitUntil`; this is for the support code that the soak run
 * (test/soak/run.ts, a plain script) shares with them, where Vitest's `vi` does
 * not work, and where a check may throw while a process is still starting.
 * Past `timeoutMs` it throws, naming what was awaited: a deadline for a test
 * that would otherwise hang, not a measurement.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
