/**
 * Reading the mail a test server sent: from its `file:` mail directory, or
 * through a real SMTP server (npm smtp-server) started by the test.
 *
 * @example
 *   const [message] = await mailTo(t, 'alice@example.test');
 *   const code = codeIn(message);
 */
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TestServer } from './server.js';

export interface SentMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

/** Every message in a `file:` mail directory, oldest first. */
export async function readMailDir(dir: string): Promise<SentMail[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as SentMail));
}

/** The messages the test server sent to `to`, oldest first (after everything queued has been sent). */
export async function mailTo(t: TestServer, to: string): Promise<SentMail[]> {
  if (!t.mailDir) throw new Error('this test server sends mail elsewhere (MAIL_URL was set)');
  await t.server.services.outbox.idle();
  return (await readMailDir(t.mailDir)).filter((m) => m.to.toLowerCase() === to.toLowerCase());
}

/** The six-digit code in a message's text part. */
export function codeIn(message: Pick<SentMail, 'text'>): string {
  const m = /^\s+(\d{6})\s*$/m.exec(message.text);
  if (!m) throw new Error(`no code in message: ${message.text}`);
  return m[1];
}

/** The newest code mailed to `to`. */
export async function lastCodeTo(t: TestServer, to: string): Promise<string> {
  const all = await mailTo(t, to);
  if (!all.length) throw new Error(`no mail to ${to}`);
  return codeIn(all[all.length - 1]);
}

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** The SMTP user that authenticated, if any. */
  user: string | undefined;
  /** Whether the message came over TLS (STARTTLS). */
  secure: boolean;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * A real SMTP server on a loopback port, accepting `user`/`pass`. It offers
 * STARTTLS as smtp-server does out of the box: with its built-in certificate,
 * which no client can verify (self-signed, and expired).
 */
export async function startSmtpServer({ user = 'latchkey', pass = 'mail-secret' } = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.push({
            from: parsed.from?.text ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            user: session.user as string | undefined,
            secure: session.secure,
          });
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${user}:${pass}@127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
