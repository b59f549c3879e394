/**
 * Vitest global setup: one migrated embedded database (a PGlite data
 * directory) per run. Making a new data directory runs initdb and every
 * migration (seconds each time); a test that needs a fresh, current one
 * copies this template instead (`migratedDataDir` in databases.ts), and an
 * in-memory database starts from its archive (`memoryImage`). Tests about a
 * *new* directory (first start, migrating by itself) still start from nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { embeddedExtensions, openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data directory, read-only for tests: copy it, never open it. */
    pgliteTemplate: string;
    /** The same database as a PGlite `dumpDataDir` archive (a file), for in-memory copies. */
    pgliteImage: string;
  }
}

export default async function makeTemplate(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'latchkey-template-'));
  const dataDir = join(root, 'data');
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  await migrate(database);
  await database.close();
  const image = join(root, 'image.tar');
  const client = await PGlite.create(dataDir, { extensions: embeddedExtensions });
  await writeFile(image, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
  await client.close();
  project.provide('pgliteTemplate', dataDir);
  project.provide('pgliteImage', image);
  return () => rm(root, { recursive: true, force: true });
}
