/**
 * The messages Latchkey sends. Every message is one plain-text template and
 * one HTML template (below), filled with the wording of its purpose; values
 * are HTML-escaped in the HTML part.
 *
 * @example
 *   const message = codeMessage({ to: 'alice@example.com', purpose: 'LOGIN', code: '042137', ttlMs: 300_000 });
 *   message.subject; // 'Your sign-in code: 042137'
 */
import type { MailMessage } from './message.js';

export type CodePurpose = 'LOGIN' | 'VERIFY_EMAIL' | 'PASSWORD_RESET' | 'EMAIL_CHANGE';

const TEXT = `{{intro}}

    {{code}}

The code works once and expires in {{minutes}} minutes.
{{ignore}}

— Latchkey
`;

const HTML = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #1a1a1a; line-height: 1.5">
<p>{{intro}}</p>
<p style="font-size: 28px; font-weight: 600; letter-spacing: 6px; font-family: ui-monospace, monospace">{{code}}</p>
<p>The code works once and expires in {{minutes}} minutes.</p>
<p style="color: #666">{{ignore}}</p>
<p style="color: #666">— Latchkey</p>
</body></html>
`;

const wording: Record<CodePurpose, { subject: string; intro: string; ignore: string }> = {
  LOGIN: {
    subject: 'Your sign-in code: {{code}}',
    intro: 'Use this code to sign in:',
    ignore: 'If you did not try to sign in, you can ignore this message.',
  },
  VERIFY_EMAIL: {
    subject: 'Confirm your email address: {{code}}',
    intro: 'Use this code to confirm your email address:',
    ignore: 'If you did not create an account, you can ignore this message.',
  },
  PASSWORD_RESET: {
    subject: 'Your password reset code: {{code}}',
    intro: 'Use this code to choose a new password:',
    ignore: 'If you did not ask to reset your password, ignore this message: your password stays as it is.',
  },
  EMAIL_CHANGE: {
    subject: 'Confirm your new email address: {{code}}',
    intro: 'Use this code to make this address the one your Latchkey account uses:',
    ignore: 'If you did not ask for this, ignore this message: no account will use this address.',
  },
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fill(template: string, values: Record<string, string>, escapeValue: (s: string) => string = (s) => s): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => escapeValue(values[name] ?? ''));
}

/** The message carrying a one-time code for `purpose`. */
export function codeMessage({
  to,
  purpose,
  code,
  ttlMs,
}: {
  to: string;
  purpose: CodePurpose;
  code: string;
  ttlMs: number;
}): MailMessage {
  const w = wording[purpose];
  const values = { code, minutes: String(Math.max(1, Math.round(ttlMs / 60_000))), intro: w.intro, ignore: w.ignore };
  return {
    to,
    subject: fill(w.subject, values),
    text: fill(TEXT, values),
    html: fill(HTML, values, escapeHtml),
  };
}

/**
 * The note an owner gets when someone signs up with their address (REQUIRE_EMAIL_VERIFICATION):
 * the sign-up answered as for a new address, so only the mailbox learns the account exists.
 */
export function accountExistsMessage({ to }: { to: string }): MailMessage {
  return notice(
    to,
    'Someone tried to sign up with your email address',
    `Someone tried to create a Latchkey account with this email address, which already has one.

If it was you: sign in instead, or reset your password if you have forgotten it.
If it was not you, you can ignore this message: nothing has changed.`,
  );
}

/** The old address is told its account moved to another one (it may be the owner's only warning). */
export function emailChangedMessage({ to, newEmail }: { to: string; newEmail: string }): MailMessage {
  return notice(
    to,
    'Your Latchkey account now uses another email address',
    `The email address of your Latchkey account was changed from this one to ${newEmail}.

If you did this, nothing else is needed. If you did not, someone has access to your account:
reset your password and contact the site's administrator.`,
  );
}

/** The goodbye mail after `deleteAccount`. */
export function accountDeletedMessage({ to }: { to: string }): MailMessage {
  return notice(
    to,
    'Your Latchkey account has been deleted',
    `Your Latchkey account and everything stored with it have been deleted, and every session has ended.

If you did not do this, contact the site's administrator.`,
  );
}

/** A plain notice: paragraphs of text, the same in the HTML part. */
function notice(to: string, subject: string, body: string): MailMessage {
  const text = `${body}\n\n— Latchkey\n`;
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #1a1a1a; line-height: 1.5">
${text
  .trim()
  .split('\n\n')
  .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
  .join('\n')}
</body></html>
`;
  return { to, subject, text, html };
}
