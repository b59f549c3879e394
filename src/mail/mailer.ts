/**
 * Sending mail: one `Mailer` interface, three transports chosen by MAIL_URL —
 * `console` (development: prints each message), `file:DIR` (one JSON file per
 * message) and `smtp://` / `smtps://` (nodemailer).
 *
 * @example
 *   const mailer = createMailer({ url: 'file:/tmp/mail', from: 'Latchkey <no-reply@example.com>' });
 *   await mailer.send({ to: 'alice@example.com', subject: 'Hi', text: 'Hello', html: '<p>Hello</p>' });
 */
import { consoleTransport } from './transports/console.js';
import { fileTransport } from './transports/file.js';
import { smtpTransport } from './transports/smtp.js';
import type { Mailer } from './message.js';

export type { MailMessage, Mailer } from './message.js';

export interface MailerOptions {
  /** MAIL_URL: `console`, `file:DIR` or `smtp://user:pass@host:port`. */
  url: string;
  /** MAIL_FROM. */
  from: string;
  /** When each message was sent (the injected clock). */
  now?: () => number;
}

export function createMailer({ url, from, now = Date.now }: MailerOptions): Mailer {
  if (url === 'console') return consoleTransport({ from, write: (s) => process.stdout.write(s) });
  if (url.startsWith('file:')) return fileTransport({ dir: url.slice('file:'.length), now });
  if (/^smtps?:\/\//.test(url)) return smtpTransport({ url, from });
  throw new Error(`MAIL_URL must be console, file:DIR or smtp://…, not ${url.split(':')[0]}:`);
}
