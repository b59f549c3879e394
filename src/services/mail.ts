/** Wiring of what reaches people by mail: the mail outbox, one-time codes and the email-code flows. */
import type { Audit } from '../auth/audit.js';
import type { Clock } from '../auth/clock.js';
import { createEmailCodes } from '../auth/emailCodes.js';
import type { KeyRing } from '../auth/keys.js';
import type { Limits } from '../auth/limits.js';
import { createOtp } from '../auth/otp.js';
import type { PasswordPolicy } from '../auth/passwordPolicy.js';
import type { Repositories } from '../auth/ports.js';
import type { Sessions } from '../auth/sessions.js';
import type { Transactions } from '../auth/webhookPorts.js';
import type { Config } from '../config.js';
import { createMailer } from '../mail/mailer.js';
import { createOutbox } from '../mail/outbox.js';

interface Deps {
  config: Config;
  clock: Clock;
  repos: Repositories;
  keys: KeyRing;
  limits: Limits;
  audit: Audit;
  sessions: Sessions;
  passwords: PasswordPolicy;
  transactions: Transactions;
  onMailError: (error: Error) => void;
}

export function mailServices({
  config,
  clock,
  repos,
  keys,
  limits,
  audit,
  sessions,
  passwords,
  transactions,
  onMailError,
}: Deps) {
  const outbox = createOutbox({
    mailer: createMailer({ url: config.mailUrl, from: config.mailFrom, now: clock.now }),
    onError: onMailError,
  });
  const otp = createOtp({ repo: repos.otp, keys, config, clock });
  const emailCodes = createEmailCodes({
    repos,
    otp,
    outbox,
    limits,
    audit,
    sessions,
    passwords,
    config,
    clock,
    transactions,
  });
  return { outbox, otp, emailCodes };
}
