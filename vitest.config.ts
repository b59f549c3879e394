import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Suites that drive child processes (the `latchkey` command, clusters, PostgreSQL/Redis servers of their own, Chromium). */
const PROCESSES = [
  'test/integration/cli*.test.ts',
  'test/integration/config.test.ts',
  'test/integration/schema.test.ts',
  'test/cluster/**/*.test.ts',
  'test/e2e/**/*.test.ts',
];

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM copies; Node loads the CJS one for everybody,
    // Vite would pick the ESM one for our code. One copy, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // Tests that run bin/latchkey.js (the CLI, test/cluster) use the compiled server: rebuild dist/ first when src/ is newer.
    // The PGlite template (a migrated data directory, made once per run) is made there too.
    globalSetup: ['test/support/build.ts', 'test/support/template.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2 cores: argon2 and PGlite are CPU-heavy; two files at a time keeps runs steady.
    maxWorkers: 2,
    pool: 'forks',
    // One worker process serves many files: PGlite's WebAssembly, Fastify, the GraphQL schema and
    // playwright-core load once per worker, not once per file (figures in the README). Every suite
    // makes its own servers, databases and browsers and closes them, and none changes process.env
    // or mocks modules, so nothing leaks from file to file.
    isolate: false,
    // `npm test` runs both projects; `npx vitest run --project in-process` runs the fast one alone.
    projects: [
      {
        extends: true,
        test: {
          name: 'in-process',
          include: ['test/**/*.test.ts'],
          exclude: PROCESSES,
        },
      },
      {
        extends: true,
        test: { name: 'processes', include: PROCESSES },
      },
    ],
  },
});
