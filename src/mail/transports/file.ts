/**
 * Mail as files: one JSON file per message in DIR (`to`, `subject`, `text`,
 * `html`, `sentAt`), named so they sort by time. For tests and for
 * deployments where another process picks messages up.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailMessage, Mailer } from '../message.js';

export function fileTransport({ dir, now }: { dir: string; now: () => number }): Mailer {
  let made: Promise<unknown> | undefined;
  // Many messages can share a millisecond (or a test's stopped clock): the sequence keeps names in sending order.
  let sequence = 0;
  return {
    local: true,
    async send(m: MailMessage) {
      made ??= mkdir(dir, { recursive: true });
      await made;
      const sentAt = new Date(now()).toISOString();
      const name = `${sentAt.replace(/[:.]/g, '-')}-${String(++sequence).padStart(8, '0')}-${randomBytes(4).toString('hex')}.json`;
      const body = JSON.stringify({ to: m.to, subject: m.subject, text: m.text, html: m.html, sentAt }, null, 2);
      // Written aside, then renamed: a reader never sees half a message.
      const tmp = join(dir, `.${name}.tmp`);
      await writeFile(tmp, body, { mode: 0o600 });
      await rename(tmp, join(dir, name));
    },
    async close() {},
  };
}
