import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM copies; Node loads the CJS one for everybody,
    // Vite would pick the ESM one for our code. One copy, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that run bin/latchkey.js (the CLI, test/cluster) use the compiled server: rebuild dist/ first when src/ is newer.
    globalSetup: ['test/support/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2 cores: argon2 and PGlite are CPU-heavy; two files at a time keeps runs steady.
    maxWorkers: 2,
    pool: 'forks',
  },
});
