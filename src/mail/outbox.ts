/**
 * The outbox: messages are queued and sent one after another off the request
 * path, so a request that sends mail answers as fast as one that does not
 * (requestOtp must not tell a known email from an unknown one by its timing).
 * A failed send is reported (without the message) and does not stop the queue.
 *
 * @example
 *   const outbox = createOutbox({ mailer, onError: (err) => log.warn({ err }, 'mail failed') });
 *   outbox.enqueue(message);  // returns at once
 *   await outbox.idle();      // tests and shutdown: everything queued has been tried
 */
import type { MailMessage, Mailer } from './mailer.js';

export interface Outbox {
  enqueue(message: MailMessage): void;
  /** Resolves when every message queued so far has been sent or has failed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** More pending than this means the mail server is down or far too slow: drop rather than grow without bound. */
const MAX_PENDING = 1000;

export function createOutbox({ mailer, onError }: { mailer: Mailer; onError: (error: Error) => void }): Outbox {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  return {
    enqueue(message) {
      if (pending >= MAX_PENDING) {
        onError(new Error(`mail outbox full (${MAX_PENDING} pending): message dropped`));
        return;
      }
      pending++;
      tail = tail
        .then(() => mailer.send(message))
        .catch((e: unknown) => onError(new Error(`mail delivery failed: ${e instanceof Error ? e.message : String(e)}`)))
        .finally(() => {
          pending--;
        });
    },
    idle: () => tail,
    async close() {
      await tail;
      await mailer.close();
    },
  };
}
