/** SMTP through nodemailer (`smtp://user:pass@host:port`, or `smtps://` for TLS from the start). */
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from '../mailer.js';

export function smtpTransport({ url, from }: { url: string; from: string }): Mailer {
  // Built on first send: creating a transport must not open a connection (no I/O at construction).
  let transport: Transporter | undefined;
  return {
    async send(m: MailMessage) {
      transport ??= nodemailer.createTransport(url);
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    async close() {
      transport?.close();
    },
  };
}
