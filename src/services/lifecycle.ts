/** Wiring of an account's life after sign-up: email change, deletion and export, and the administration API. */
import type { Accounts } from '../auth/accounts.js';
import { createAccountLife } from '../auth/accountLife.js';
import { createAdmin } from '../auth/admin.js';
import type { Audit } from '../auth/audit.js';
import type { Clock } from '../auth/clock.js';
import type { Limits } from '../auth/limits.js';
import type { Otp } from '../auth/otp.js';
import type { Repositories } from '../auth/ports.js';
import type { Reauth } from '../auth/reauth.js';
import type { Revocations } from '../auth/revocations.js';
import type { Roles } from '../auth/roles.js';
import type { Sessions } from '../auth/sessions.js';
import type { Transactions } from '../auth/webhookPorts.js';
import type { Config } from '../config.js';
import type { Outbox } from '../mail/outbox.js';

interface Deps {
  config: Config;
  clock: Clock;
  repos: Repositories;
  transactions: Transactions;
  otp: Otp;
  outbox: Outbox;
  limits: Limits;
  audit: Audit;
  reauth: Reauth;
  revocations: Revocations;
  roles: Roles;
  sessions: Sessions;
  accounts: Accounts;
}

export function lifecycleServices({
  config,
  clock,
  repos,
  transactions,
  otp,
  outbox,
  limits,
  audit,
  reauth,
  revocations,
  roles,
  sessions,
  accounts,
}: Deps) {
  const accountLife = createAccountLife({
    store: repos.account,
    users: repos.users,
    otp,
    outbox,
    limits,
    audit,
    reauth,
    revocations,
    roles,
    config,
    clock,
    transactions,
  });
  const admin = createAdmin({ store: repos.admin, repos, roles, sessions, limits, audit, accounts });
  return { accountLife, admin };
}
