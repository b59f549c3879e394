/**
 * The outbox: messages are queued and sent one after another off the request
 * path, so a request that sends mail to a mail server answers as fast as one
 * that does not (requestOtp must not tell a known email from an unknown one by
 * its timing). Local transports (console, file: — development and tests) are
 * waited for instead: a millisecond, and the message exists when the answer
 * arrives. A failed send is reported (without the message) and does not stop
 * the queue.
 *
 * @example
 *   const outbox = createOutbox({ mailer, onError: (err) => log.warn({ err }, 'mail failed') });
 *   await outbox.enqueue(message);  // at once for SMTP; once written for file:
 *   await outbox.idle();      // tests and shutdown: everything queued has been tried
 */
import type { MailMessage, Mailer } from './message.js';

export interface Outbox {
  /** Queue a message; resolves at once for a mail server, after delivery (or its failure) for a local transport. */
  enqueue(message: MailMessage): Promise<void>;
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
    async enqueue(message) {
      if (pending >= MAX_PENDING) {
        onError(new Error(`mail outbox full (${MAX_PENDING} pending): message dropped`));
        return;
      }
      pending++;
      tail = tail
        .then(() => mailer.send(message))
        .catch((e: unknown) =>
          onError(new Error(`mail delivery failed: ${e instanceof Error ? e.message : String(e)}`)),
        )
        .finally(() => {
          pending--;
        });
      if (mailer.local) await tail;
    },
    idle: () => tail,
    async close() {
      await tail;
      await mailer.close();
    },
  };
}
