/**
 * Wiring of the second factors and what builds on them: TOTP, recovery codes, passkeys, the
 * second sign-in step, reauthentication and the security page's operations.
 */
import type { Audit } from '../auth/audit.js';
import type { Challenges } from '../auth/challenges.js';
import type { Clock } from '../auth/clock.js';
import type { createEmailCodes } from '../auth/emailCodes.js';
import type { Limits } from '../auth/limits.js';
import { createPasskeys } from '../auth/passkeys.js';
import type { Repositories } from '../auth/ports.js';
import { createReauth } from '../auth/reauth.js';
import { createRecoveryCodes } from '../auth/recoveryCodes.js';
import { createSealer } from '../auth/sealer.js';
import { createSecondStep } from '../auth/secondStep.js';
import { createSecurity } from '../auth/security.js';
import type { Sessions } from '../auth/sessions.js';
import type { SignIn } from '../auth/signIn.js';
import { createTotp } from '../auth/totp.js';
import type { Transactions } from '../auth/webhookPorts.js';
import type { Config } from '../config.js';

interface Deps {
  config: Config;
  clock: Clock;
  repos: Repositories;
  transactions: Transactions;
  challenges: Challenges;
  signIn: SignIn;
  sessions: Sessions;
  emailCodes: ReturnType<typeof createEmailCodes>;
  limits: Limits;
  audit: Audit;
}

export async function factorServices({
  config,
  clock,
  repos,
  transactions,
  challenges,
  signIn,
  sessions,
  emailCodes,
  limits,
  audit,
}: Deps) {
  const findUser = (id: string) => repos.users.findById(id);
  const totp = createTotp({
    store: repos.factors,
    sealer: config.keySecret ? await createSealer(config.keySecret, 'totp-secrets-v1', 'TOTP secrets') : undefined,
    clock,
    issuer: config.webauthnRpName,
  });
  const recoveryCodes = createRecoveryCodes({ store: repos.factors, clock });
  const passkeys = createPasskeys({ store: repos.passkeys, challenges, config, clock, limits, audit });
  const secondStep = createSecondStep({
    challenges,
    totp,
    recoveryCodes,
    passkeys,
    signIn,
    findUser,
    limits,
    audit,
    config,
  });
  const reauth = createReauth({
    sessions,
    repo: repos.sessions,
    findUser,
    totp,
    passkeys,
    emailCodes,
    limits,
    audit,
    config,
    clock,
  });
  const security = createSecurity({
    repos,
    transactions,
    findUser,
    factors: repos.factors,
    totp,
    recoveryCodes,
    passkeys,
    challenges,
    reauth,
    audit,
    config,
  });
  return { totp, passkeys, secondStep, reauth, security };
}
