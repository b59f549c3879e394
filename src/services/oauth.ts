/** Wiring of sign-in with external providers: the configured providers, the sealed flow state, linking. */
import { randomBytes } from 'node:crypto';
import type { Audit } from '../auth/audit.js';
import type { Challenges } from '../auth/challenges.js';
import type { Clock } from '../auth/clock.js';
import type { Limits } from '../auth/limits.js';
import { createOAuth } from '../auth/oauth.js';
import { createProvider } from '../auth/oauthProviders.js';
import type { Repositories } from '../auth/ports.js';
import type { Reauth } from '../auth/reauth.js';
import { createSealer } from '../auth/sealer.js';
import type { SignIn } from '../auth/signIn.js';
import type { Transactions } from '../auth/webhookPorts.js';
import type { Config } from '../config.js';

interface Deps {
  config: Config;
  clock: Clock;
  repos: Repositories;
  transactions: Transactions;
  challenges: Challenges;
  signIn: SignIn;
  reauth: Reauth;
  limits: Limits;
  audit: Audit;
}

export async function oauthService({
  config,
  clock,
  repos,
  transactions,
  challenges,
  signIn,
  reauth,
  limits,
  audit,
}: Deps) {
  return createOAuth({
    providers: new Map(config.oauthProviders.map((p) => [p.id, createProvider(p, config.oauthTimeoutMs)])),
    users: repos.users,
    identities: repos.identities,
    factors: repos.factors,
    challenges,
    signIn,
    reauth,
    limits,
    audit,
    // Without LATCHKEY_KEY_SECRET the flow's cookie is sealed with a key of this process: a callback
    // must then come back to the instance that started it (docs/oauth.md).
    sealer: await createSealer(
      config.keySecret ?? randomBytes(32).toString('base64url'),
      'oauth-state-v1',
      'OAuth state',
    ),
    clock,
    config,
    transactions,
  });
}
