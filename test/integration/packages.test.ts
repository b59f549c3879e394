/**
 * The packages as published, not as workspace links: each is packed with
 * `npm pack` (its prepack builds it), the tarballs are installed into a scratch
 * project from the local npm cache, and the scratch project imports them and
 * type-checks against their published declarations.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PACKAGES = ['client', 'verify', 'react'] as const;
const npm = (args: string[], cwd: string) =>
  run('npm', args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 8 << 20 });

describe('published packages', () => {
  let scratch: string;
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('pack, install from the tarballs, import and type-check in a scratch project', { timeout: 240_000 }, async () => {
    scratch = await mkdtemp(join(tmpdir(), 'latchkey-packages-'));
    const tarballs: string[] = [];
    for (const name of PACKAGES) {
      const dir = resolve('packages', name);
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      expect(manifest.private, name).toBeUndefined();
      expect(manifest.version, name).toMatch(/^\d+\.\d+\.\d+/);
      expect(manifest.exports['.'].types, name).toBeTruthy();
      const { stdout } = await npm(['pack', '--json', '--pack-destination', scratch], dir);
      const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
      const files = packed.files.map((f) => f.path);
      expect(files, name).toEqual(
        expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      );
      expect(
        files.some((f) => f.startsWith('src/')),
        name,
      ).toBe(false);
      tarballs.push(join(scratch, packed.filename));
    }

    await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // Their dependencies (jose; @simplewebauthn/browser; react, a peer) from this checkout's own install, so no registry is asked:
    // the npm cache holds tarballs, not the metadata an offline install would need to pick versions.
    const deps = ['node_modules/jose', 'node_modules/react', 'node_modules/@simplewebauthn/browser'].map((d) =>
      resolve(d),
    );
    await npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs, ...deps], scratch);

    await writeFile(
      join(scratch, 'check.mjs'),
      `import { createLatchkeyClient, LatchkeyError } from '@latchkey/client';
import { createCookieFetch } from '@latchkey/client/node';
import { createVerifier, VerifyError } from '@latchkey/verify';
import { LatchkeyProvider, useSession, useUser, useLatchkey, SignedIn, SignedOut } from '@latchkey/react';
const client = createLatchkeyClient({ url: 'http://127.0.0.1:9', restore: false, BroadcastChannel: null });
console.log(JSON.stringify({
  client: client.getState().status,
  error: new LatchkeyError('X', 'y').code,
  node: typeof createCookieFetch,
  verify: typeof createVerifier({ issuer: 'i', audience: 'a', jwksUrl: 'http://127.0.0.1:9/jwks' }).verify,
  verifyError: new VerifyError('TOKEN_REVOKED', 'x').code,
  react: [LatchkeyProvider, useSession, useUser, useLatchkey, SignedIn, SignedOut].map((f) => typeof f),
}));
client.close();
`,
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: scratch });
    expect(JSON.parse(stdout)).toEqual({
      client: 'signedOut',
      error: 'X',
      node: 'function',
      verify: 'function',
      verifyError: 'TOKEN_REVOKED',
      react: Array(6).fill('function'),
    });

    // The published declarations are what a TypeScript user compiles against.
    await writeFile(
      join(scratch, 'check.ts'),
      `import { createLatchkeyClient, type CurrentUser, type Profile, type SessionState, type TokenInfo, type UserSession } from '@latchkey/client';
import { createVerifier, type AccessClaims } from '@latchkey/verify';
const client = createLatchkeyClient({ graphqlPath: '/api/graphql', timeoutMs: 5000 });
const state: SessionState = client.getState();
const account: [Promise<CurrentUser | null>, Promise<Profile>, Promise<UserSession[]>, Promise<TokenInfo>, Promise<boolean>] = [
  client.me(), client.updateProfile({ bio: null }), client.mySessions(), client.tokenInfo('t'),
  client.changePassword({ currentPassword: 'a', newPassword: 'b', signOutOtherSessions: false }),
];
const claims: Promise<AccessClaims> = createVerifier({ issuer: 'i', audience: 'a', jwksUrl: 'https://x/jwks' }).verify('t');
export { state, account, claims };
`,
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['es2022', 'dom'],
      types: [],
    };
    await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.ts'] }));
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: scratch });
  });
});
