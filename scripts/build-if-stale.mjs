// `npm start` builds only what is out of date: each part is rebuilt when a file it is built from
// is newer than what it built (compare mtimes), so a second start goes straight to serving.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};
const newest = (...dirs) =>
  Math.max(0, ...dirs.flatMap((dir) => readdirSync(dir, { recursive: true }).map((name) => mtime(join(dir, name)))));

const parts = [
  { name: 'server', built: 'dist/src/cli.js', from: ['src'], run: ['npx', 'tsc', '-p', 'tsconfig.build.json'] },
  { name: '@latchkey/client', built: 'packages/client/dist/index.js', from: ['packages/client/src'], workspace: true },
  { name: '@latchkey/react', built: 'packages/react/dist/index.js', from: ['packages/react/src'], workspace: true },
  { name: '@latchkey/verify', built: 'packages/verify/dist/index.js', from: ['packages/verify/src'], workspace: true },
  { name: '@latchkey/web', built: 'web/dist/index.html', from: ['web/src', 'packages/client/src', 'packages/react/src'], workspace: true },
];

for (const part of parts) {
  if (mtime(part.built) >= newest(...part.from)) continue;
  const command = part.run ?? ['npm', 'run', 'build', '--silent', '-w', part.name];
  console.error(`building ${part.name} (changed since the last build)`);
  execFileSync(command[0], command.slice(1), { stdio: 'inherit' });
}
