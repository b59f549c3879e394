/**
 * Development mail: each message printed to standard output, so `npm start`
 * works without a mail server and the code can be read off the terminal.
 * (It writes to stdout itself, never through the logger: logs stay free of codes.)
 */
import type { MailMessage, Mailer } from '../message.js';

export function consoleTransport({ from, write }: { from: string; write: (chunk: string) => void }): Mailer {
  return {
    local: true,
    async send(m: MailMessage) {
      write(
        `\n--- mail (MAIL_URL=console) ---\nFrom: ${from}\nTo: ${m.to}\nSubject: ${m.subject}\n\n${m.text}\n--- end of mail ---\n`,
      );
    },
    async close() {},
  };
}
