/**
 * Vitest global setup: tests that run the `latchkey` command use the built
 * code (bin/latchkey.js → dist/, as `npm install` leaves it). When src/ is
 * newer than dist/, compile first (tsc, a few seconds) so they never run
 * stale code.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const mtime = (path: string) =>
  stat(path).then(
    (s) => s.mtimeMs,
    () => 0,
  );

async function newest(dir: string): Promise<number> {
  const names = await readdir(dir, { recursive: true });
  return Math.max(...(await Promise.all(names.map((n) => mtime(join(dir, n))))));
}

export default async function buildIfStale(): Promise<void> {
  if ((await mtime('dist/src/cli.js')) >= (await newest('src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
}
