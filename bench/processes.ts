/**
 * The servers under load, each its own process (so its event loop and memory are its
 * own): started with the probe preloaded, waited for until a readiness URL answers,
 * read through the probe, and stopped with SIGTERM. Their output goes to a log file in
 * bench/results/ (git-ignored), shown when one fails to start.
 *
 * @example
 *   const server = await startProcess({ name: 'reference', script: 'dist/bench/references/server.js', env, ready: url });
 *   await server.reset(); … const reading = await server.read();
 *   await server.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ProbeReading } from './probe.js';

const probePath = fileURLToPath(new URL('./probe.js', import.meta.url));

export interface ServerProcess {
  name: string;
  pid: number;
  /** Send `{ id, op, arg }`; resolves with the `result` of the answer `{ id, result }`. */
  call<T>(op: string, arg?: unknown): Promise<T>;
  /** Start a measuring window (event-loop histogram, peak RSS). */
  reset(): Promise<void>;
  /** The window since the last reset. */
  read(): Promise<ProbeReading>;
  /** Resolves once the process has used (almost) no CPU for a quarter second: queued work is done. */
  waitIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** The script to run with node, and its arguments. */
  args: string[];
  env: Record<string, string | undefined>;
  /** A URL that answers 2xx once the server is ready, or 'message' for a process that sends `{ ready: true }`. */
  ready: string;
  /** Where its stdout/stderr go. */
  logFile: string;
  cwd?: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}

export async function startProcess(options: StartOptions): Promise<ServerProcess> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((r) => log.once('open', r));
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', probePath, ...options.args],
    {
      cwd: options.cwd,
      env: options.env as NodeJS.ProcessEnv,
      stdio: ['ignore', log, log, 'ipc'],
    },
  );
  let exited: { code: number | null; signal: string | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  let nextId = 0;
  const call = <T>(op: string, arg?: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error(`${options.name} has exited (${JSON.stringify(exited)})`));
      const id = ++nextId;
      const onMessage = (m: { id?: number; result?: T }) => {
        if (m?.id !== id) return;
        child.off('message', onMessage);
        resolve(m.result as T);
      };
      child.on('message', onMessage);
      child.send({ id, op, arg });
    });
  const readyMessage = new Promise<void>((resolve) =>
    child.on('message', (m: { ready?: boolean }) => m?.ready && resolve()),
  );

  const server: ServerProcess = {
    name: options.name,
    pid: child.pid!,
    call,
    reset: () => call<void>('probe.reset'),
    read: () => call<ProbeReading>('probe.read'),
    async waitIdle(timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      let before = (await server.read()).cpuMs;
      while (Date.now() < end) {
        await sleep(250);
        const now = (await server.read()).cpuMs;
        if (now - before < 25) return; // under 10 % of one core
        before = now;
      }
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await Promise.race([exit, sleep(10_000)]);
        if (!exited) child.kill('SIGKILL');
        await exit;
      }
      log.end();
    },
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited)
      throw new Error(
        `${options.name} exited before it was ready (${JSON.stringify(exited)}):\n${await tail(options.logFile)}`,
      );
    const ok =
      options.ready === 'message'
        ? await Promise.race([readyMessage.then(() => true), sleep(100).then(() => false)])
        : await fetch(options.ready).then(
            (r) => r.ok,
            () => false,
          );
    if (ok) break;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${options.name} was not ready within 60 s:\n${await tail(options.logFile)}`);
    }
    await sleep(100);
  }
  return server;
}
