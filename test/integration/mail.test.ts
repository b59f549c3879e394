/**
 * Mail transports: SMTP through a real SMTP server started here (what it
 * received is read back), the file: transport's JSON files, the console
 * transport, a mail server that is down and one that never answers.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/mail/mailer.js';
import { createOutbox } from '../../src/mail/outbox.js';
import { consoleTransport } from '../../src/mail/transports/console.js';
import { codeMessage } from '../../src/mail/templates.js';
import { pglite } from '../support/databases.js';
import { codeIn, mailTo, readMailDir, startSmtpServer } from '../support/mail.js';
import { registerUser, suiteServer, uniqueEmail } from '../support/server.js';
import { perSuite } from '../support/suite.js';

const REQUEST = `mutation($email: String!, $purpose: OtpPurpose) { requestOtp(email: $email, purpose: $purpose) }`;
const VERIFY_EMAIL = `mutation($code: String!) { verifyEmail(code: $code) { emailVerified } }`;

// smtp-server as it comes: STARTTLS offered, with a certificate no client can verify.
describe('mail over SMTP', () => {
  const smtp = perSuite(
    () => startSmtpServer(),
    (s) => s.close(),
  );
  const t = suiteServer(pglite, () => ({
    env: { MAIL_URL: smtp.url, MAIL_FROM: 'Latchkey Test <auth@latchkey.test>' },
  }));

  it('delivers the sign-up code with a text and an HTML part, authenticated as the MAIL_URL user', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    await t.server.services.outbox.idle();
    const received = smtp.received.filter((m) => m.to.includes(email));
    expect(received).toHaveLength(1);
    const [m] = received;
    expect(m.user).toBe('latchkey');
    // Opportunistic TLS: encrypted although the certificate could not be verified.
    expect(m.secure).toBe(true);
    expect(m.from).toMatch(/^"?Latchkey Test"? <auth@latchkey\.test>$/);
    expect(m.subject).toMatch(/^Confirm your email address: \d{6}$/);
    const code = codeIn(m);
    expect(m.html).toContain(`>${code}</p>`);
    expect(m.html).toMatch(/^<!doctype html>/);
    // The code that arrived by SMTP is the one the server accepts.
    expect((await alice.gql(VERIFY_EMAIL, { code })).body.data.verifyEmail.emailVerified).toBe(true);
  });

  it('sends nothing for an unknown email', async () => {
    const before = smtp.received.length;
    const email = uniqueEmail('nobody');
    expect((await t.client().gql(REQUEST, { email })).body.data.requestOtp).toBe(true);
    await t.server.services.outbox.idle();
    expect(smtp.received.length).toBe(before);
  });

  it('verifies the certificate when the URL requires TLS, and refuses this one', async () => {
    const strict = createMailer({ url: `${smtp.url}?requireTLS=true`, from: 'x <x@latchkey.test>' });
    const before = smtp.received.length;
    await expect(
      strict.send(codeMessage({ to: 'a@example.test', purpose: 'LOGIN', code: '314159', ttlMs: 60_000 })),
    ).rejects.toThrow(/certificate/);
    await strict.close();
    expect(smtp.received.length).toBe(before);
  });

  it('sends a reset code with reset wording', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    await t.server.services.outbox.idle();
    const last = smtp.received.filter((m) => m.to.includes(email)).at(-1)!;
    expect(last.subject).toMatch(/^Your password reset code: \d{6}$/);
    expect(last.text).toMatch(/choose a new password/);
  });
});

describe('mail server that never answers', () => {
  let stalled: Server;
  const connections = new Set<Socket>();
  beforeAll(async () => {
    // Accepts the connection and then says nothing: nodemailer waits for a greeting that never comes.
    stalled = createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  });
  const t = suiteServer(pglite, () => ({
    env: { MAIL_URL: `smtp://127.0.0.1:${(stalled.address() as AddressInfo).port}` },
  }));
  afterAll(async () => {
    // Declared after the server, so run before it closes: hang up, the pending sends fail, the outbox drains and the server can close.
    await new Promise<void>((resolve) => {
      stalled?.close(() => resolve());
      for (const c of connections) c.destroy();
    });
  });

  it('answers register and requestOtp for a known email without waiting for the mail (nothing to time)', async () => {
    const { email } = await registerUser(t.client());
    const res = await t.client().gql(REQUEST, { email });
    expect(res.body).toEqual({ data: { requestOtp: true } });
    // The sign-up mail really is in flight, stuck on the silent server, while both answers came back.
    expect(connections.size).toBeGreaterThan(0);
  });
});

describe('mail to files', () => {
  const t = suiteServer(pglite, { manualClock: true });

  it('writes one JSON file per message with to, subject, text, html and sentAt', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const messages = await mailTo(t, email);
    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(['html', 'sentAt', 'subject', 'text', 'to']);
      expect(m.to).toBe(email);
      expect(new Date(m.sentAt).getTime()).toBe(t.clock!.now());
    }
    expect(messages.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Confirm/),
      expect.stringMatching(/^Your sign-in code/),
    ]);
    expect((await readMailDir(t.mailDir!)).length).toBeGreaterThanOrEqual(2);
  });

  it('has the message on disk by the time register and requestOtp answer (a reader need not wait)', async () => {
    const email = uniqueEmail('ondisk');
    await registerUser(t.client(), { email });
    // Read the directory directly, without waiting on the outbox as mailTo does.
    const signUp = (await readMailDir(t.mailDir!)).filter((m) => m.to === email);
    expect(signUp.map((m) => m.subject)).toEqual([expect.stringMatching(/^Confirm/)]);
    expect((await t.client().gql(REQUEST, { email })).body.data.requestOtp).toBe(true);
    const after = (await readMailDir(t.mailDir!)).filter((m) => m.to === email);
    expect(after).toHaveLength(2);
    expect(codeIn(after[1])).toMatch(/^\d{6}$/);
  });
});

describe('mail server down', () => {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const t = suiteServer(pglite, { env: { MAIL_URL: 'smtp://127.0.0.1:1' } });

  it('still signs people up and answers requestOtp true', async () => {
    const { email } = await registerUser(t.client());
    const res = await t.client().gql(REQUEST, { email });
    expect(res.body).toEqual({ data: { requestOtp: true } });
    await t.server.services.outbox.idle();
  });

  it('reports each failed delivery without the message, and keeps sending the next ones', async () => {
    const failures: Error[] = [];
    const outbox = createOutbox({
      mailer: createMailer({ url: 'smtp://127.0.0.1:1', from: 'x <x@latchkey.test>' }),
      onError: (e) => failures.push(e),
    });
    outbox.enqueue(codeMessage({ to: 'a@example.test', purpose: 'LOGIN', code: '314159', ttlMs: 60_000 }));
    outbox.enqueue(codeMessage({ to: 'b@example.test', purpose: 'LOGIN', code: '271828', ttlMs: 60_000 }));
    await outbox.close();
    expect(failures).toHaveLength(2);
    for (const e of failures) {
      expect(e.message).toMatch(/^mail delivery failed/);
      expect(e.message).not.toMatch(/314159|271828/);
    }
  });
});

describe('templates and the console transport', () => {
  it('prints the message to the console', async () => {
    const out: string[] = [];
    const mailer = consoleTransport({ from: 'Latchkey <no-reply@localhost>', write: (s) => out.push(s) });
    const message = codeMessage({ to: 'alice@example.test', purpose: 'LOGIN', code: '042137', ttlMs: 300_000 });
    await mailer.send(message);
    expect(out.join('')).toContain('To: alice@example.test');
    expect(out.join('')).toContain('Subject: Your sign-in code: 042137');
    expect(message.text).toContain('expires in 5 minutes');
    expect(message.html).toContain('042137');
  });

  it('refuses a MAIL_URL it does not know', () => {
    expect(() => createMailer({ url: 'pigeon://coop', from: 'x <x@y.z>' })).toThrow(/MAIL_URL/);
  });
});
