/**
 * The composition root of the domain: repositories → key ring → tokens →
 * sessions → accounts. `main.ts`, the CLI and the tests all build services here,
 * so there is one wiring. Nothing here listens on a port.
 *
 * @example
 *   const database = await openDatabase({ databaseUrl: 'memory:', dataDir: '' });
 *   await migrate(database);
 *   const services = await createServices({ config, database });
 */
import { createAccounts } from './auth/accounts.js';
import { type AuthEvents, createAudit } from './auth/audit.js';
import { type Clock, systemClock } from './auth/clock.js';
import { loadKeyRing } from './auth/keys.js';
import { type RevocationBus, createRevocations } from './auth/revocations.js';
import { createSessions } from './auth/sessions.js';
import { createTokens } from './auth/tokens.js';
import type { Config } from './config.js';
import type { Database } from './store/db.js';
import { repositories } from './store/repositories/index.js';

export interface ServiceOptions {
  config: Config;
  database: Database;
  clock?: Clock;
  events?: AuthEvents;
  bus?: RevocationBus;
}

export async function createServices({ config, database, clock = systemClock, events, bus }: ServiceOptions) {
  const repos = repositories(database.db);
  const keys = await loadKeyRing({ repo: repos.keys, config, clock });
  const tokens = createTokens({ config, keys, clock });
  // A revoked session stays in the set as long as one of its access tokens could still be valid.
  const revokedFor = config.accessTokenTtlMs + config.jwtLeewayMs + 1000;
  const revocations = createRevocations({ ttlMs: revokedFor, clock, bus, onRevoke: events?.revoked });
  const audit = createAudit({ repo: repos.audit, clock, events });
  const sessions = createSessions({ repos, tokens, revocations, audit, config, clock });
  const accounts = createAccounts({ repos, sessions, audit, clock });
  await sessions.loadRevocations();
  return { config, database, clock, repos, keys, tokens, revocations, audit, sessions, accounts };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
