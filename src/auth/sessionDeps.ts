/** What the session service is built from: its dependencies, and the defaults of the optional ones. */
import type { Config } from '../config.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import { type Limits, noLimits } from './limits.js';
import type { Repositories } from './ports.js';
import type { Revocations } from './revocations.js';
import type { Tokens } from './tokens.js';
import type { Transactions } from './webhookPorts.js';

type SessionConfig = Pick<
  Config,
  | 'refreshTokenTtlMs'
  | 'rememberMeTtlMs'
  | 'sessionAbsoluteTtlMs'
  | 'refreshReuseGraceMs'
  | 'databaseQueryTimeoutMs'
  | 'databasePoolTimeoutMs'
>;

/** The account's roles for the `roles` claim: as granted at sign-in, and as they are now. */
interface SessionRoles {
  atSignIn(userId: string): Promise<string[]>;
  of(userId: string): Promise<string[]>;
}

export interface SessionDeps {
  repos: Pick<Repositories, 'sessions'>;
  tokens: Tokens;
  revocations: Revocations;
  audit: Audit;
  config: SessionConfig;
  clock: Clock;
  /** The per-address refresh limit (none when omitted). */
  limits?: Limits;
  /** Where sign-ins and revocations write their webhook events (none when omitted). */
  transactions?: Transactions;
  /** The account's roles for the `roles` claim (none when omitted). */
  roles?: SessionRoles;
}

/** The dependencies with every default filled in: what each part of the session service works with. */
export type SessionParts = SessionDeps & Required<Pick<SessionDeps, 'limits' | 'roles'>>;

const noRoles: SessionRoles = { atSignIn: async () => [], of: async () => [] };

export const withDefaults = (deps: SessionDeps): SessionParts => ({
  ...deps,
  limits: deps.limits ?? noLimits,
  roles: deps.roles ?? noRoles,
});
