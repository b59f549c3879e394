/**
 * The `login` reference: raw @node-rs/argon2 verification with Latchkey's parameters
 * (argon2id m=19456 KiB t=2 p=1), CONCURRENCY verifications kept in flight for
 * DURATION seconds, in its own process with the same thread pool as the server.
 * Answers over IPC: `{ id, op: 'run', arg: seconds }` → `{ id, result: { count, errors, seconds, latencies } }`.
 */
import { hash, verify } from '@node-rs/argon2';
import { argon2Params } from '../../src/auth/passwords.js';

const concurrency = Number(process.env.CONCURRENCY ?? 16);
const password = 'correct horse battery staple';
const stored = hash(password, argon2Params);

async function run(seconds: number) {
  const hashed = await stored;
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      if (!(await verify(hashed, password))) errors++;
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { count: latencies.length, errors, seconds: (performance.now() - started) / 1000, latencies };
}

process.on('message', (message: { id?: number; op?: string; arg?: number }) => {
  if (message?.op === 'run') void run(Number(message.arg)).then((result) => process.send!({ id: message.id, result }));
});
// The probe leaves the IPC channel unreferenced; this process lives for it.
process.channel?.ref();
process.send!({ ready: true });
