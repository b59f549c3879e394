/**
 * Vitest global setup: the multi-process tests run the compiled server
 * (`node bin/latchkey.js serve`, as an operator would), so compile it first
 * when dist/ is missing or older than src/. `npm ci` builds it (the `prepare`
 * script); this keeps a local edit-and-test loop honest.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');

async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return latest;
}

export default async function setup(): Promise<void> {
  const built = await stat(join(root, 'dist', 'src', 'cli.js')).then((s) => s.mtimeMs, () => 0);
  if (built >= (await newest(join(root, 'src')))) return;
  await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
}
