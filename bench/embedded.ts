/**
 * The embedded default (`npm start` without DATABASE_URL: PGlite in a directory): how
 * long the server takes to answer /readyz on a fresh data directory (schema migrated,
 * keys made) and on the next start, and its resident memory once idle — the figures a
 * person trying Latchkey meets first.
 *
 * @example
 *   const figures = await measureEmbedded({ root, env, logFile });
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess } from './processes.js';

export interface EmbeddedFigures {
  /** Fresh data directory: process start → /readyz answers (migrations, first keys). */
  firstStartMs: number;
  /** Same directory again. */
  nextStartMs: number;
  /** Resident memory 3 s after the second start, idle. */
  idleRssMb: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureEmbedded({
  root,
  env,
  logFile,
}: {
  root: string;
  env: Record<string, string | undefined>;
  logFile: string;
}): Promise<EmbeddedFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-embedded-'));
  try {
    const start = async () => {
      const port = await freePort();
      const began = performance.now();
      const server = await startProcess({
        name: 'Latchkey (embedded PGlite)',
        args: [join(root, 'bin', 'latchkey.js'), 'serve'],
        env: { ...env, LATCHKEY_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' },
        ready: `http://127.0.0.1:${port}/readyz`,
        logFile,
      });
      return { server, ms: Math.round(performance.now() - began) };
    };
    const first = await start();
    await first.server.stop();
    const next = await start();
    await sleep(3000);
    await next.server.reset();
    const reading = await next.server.read();
    await next.server.stop();
    return { firstStartMs: first.ms, nextStartMs: next.ms, idleRssMb: Math.round(reading.peakRssMb) };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
