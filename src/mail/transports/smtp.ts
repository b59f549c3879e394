/**
 * SMTP through nodemailer: `smtp://user:pass@host:port` (STARTTLS when the
 * server offers it), `smtps://…` (TLS from the start). nodemailer's own URL
 * options pass through (`?requireTLS=true`, `?tls.servername=…`, `?pool=true`).
 *
 * TLS on plain `smtp://` is opportunistic (RFC 7435), as in an MTA's "may"
 * level: the connection is encrypted when the server offers STARTTLS, and its
 * certificate is not checked — a check buys nothing while an attacker who can
 * forge a certificate can as well strip STARTTLS and get plain text, which this
 * URL accepts. `smtps://` and `?requireTLS=true` refuse plain text, so there
 * the certificate is verified (`?tls.rejectUnauthorized=false` turns that off).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from '../message.js';

function transportOptions(url: string) {
  const { protocol, searchParams } = new URL(url);
  const tlsRequired = protocol === 'smtps:' || searchParams.get('requireTLS') === 'true';
  // Options in the URL win over these (nodemailer merges them on top).
  return tlsRequired ? { url } : { url, tls: { rejectUnauthorized: false } };
}

export function smtpTransport({ url, from }: { url: string; from: string }): Mailer {
  // Built on first send: creating a transport must not open a connection (no I/O at construction).
  let transport: Transporter | undefined;
  return {
    async send(m: MailMessage) {
      transport ??= nodemailer.createTransport(transportOptions(url));
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    async close() {
      transport?.close();
    },
  };
}
