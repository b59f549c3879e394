/**
 * The composition root of the domain: repositories → key ring → tokens →
 * sessions → accounts. `main.ts`, the CLI and the tests all build services here,
 * so there is one wiring. Nothing here listens on a port.
 *
 * The core (store, keys, tokens, sessions, accounts) is built here; each area around it is
 * wired in a file of `services/` (revocations, mail, factors, oauth, lifecycle) that is given
 * repositories and services, never the store: only this file opens `store/`.
 *
 * @example
 *   const database = await openDatabase({ databaseUrl: 'memory:', dataDir: '' });
 *   await migrate(database);
 *   const services = await createServices({ config, database });
 */
import { createAccounts } from './auth/accounts.js';
import { createRoles } from './auth/roles.js';
import { type AuthEvents, createAudit } from './auth/audit.js';
import { createUserCache, type UserCacheAnswer } from './auth/userCache.js';
import { type Clock, systemClock } from './auth/clock.js';
import { loadKeyRing } from './auth/keys.js';
import { createLimits } from './auth/limits.js';
import { createPasswordPolicy, loadCommonPasswords } from './auth/passwordPolicy.js';
import type { RevocationBus } from './auth/revocations.js';
import { createSessions } from './auth/sessions.js';
import { createSignIn } from './auth/signIn.js';
import { createChallenges } from './auth/challenges.js';
import { createTokenInfo } from './auth/tokenInfo.js';
import { createTokens } from './auth/tokens.js';
import { webhookEmitter } from './auth/webhooks.js';
import type { Config } from './config.js';
import { factorServices } from './services/factors.js';
import { lifecycleServices } from './services/lifecycle.js';
import { mailServices } from './services/mail.js';
import { oauthService } from './services/oauth.js';
import { followRevocations, revocationServices } from './services/revocations.js';
import type { Database } from './store/db.js';
import { schemaProblem, schemaStatus } from './store/migrate.js';
import { repositories } from './store/repositories/index.js';
import { revocationFeedRepository } from './store/repositories/revocationFeed.js';
import { webhookOutboxRepository } from './store/repositories/webhookOutbox.js';
import { transactions as storeTransactions } from './store/transactions.js';
import { type DeliveryEvents, createWebhookWorker } from './webhooks/worker.js';
import type { Log } from './shared/log.js';
import { connectRedis } from './shared/redis.js';

export interface ServiceOptions {
  config: Config;
  database: Database;
  clock?: Clock;
  events?: AuthEvents;
  /** Carries revocations between instances; default: Redis pub/sub when REDIS_URL is set. */
  bus?: RevocationBus;
  /** Where news about the Redis connection goes (default: one line on stderr each warning). */
  log?: Log;
  /** Told when a queued mail could not be sent (the message itself is never passed on). */
  onMailError?: (error: Error) => void;
  /** Told each webhook delivery attempt's outcome (metrics). */
  webhookEvents?: DeliveryEvents;
  /** Told how each read of the user cache was answered (metrics). */
  userCacheAnswers?: (how: UserCacheAnswer) => void;
  /** Fill the revoked set from the database (default); a one-shot CLI command serves no requests and skips it. */
  loadRevocations?: boolean;
  /** Read the common-password list when PASSWORD_BLOCK_COMMON is on (default); a command that sets no password skips it. */
  commonPasswords?: boolean;
}

export async function createServices({
  config,
  database,
  clock = systemClock,
  events,
  bus,
  log = stderrLog,
  onMailError = (e) => console.error(`latchkey: ${e.message}`),
  loadRevocations = true,
  commonPasswords = true,
  webhookEvents,
  userCacheAnswers,
}: ServiceOptions) {
  const repos = repositories(database.db);
  // Webhook events are outbox rows written in the transaction of their change (docs/webhooks.md).
  const webhookOutbox = webhookOutboxRepository(database.db);
  const transactions = storeTransactions(database.db, (outbox) => webhookEmitter(outbox, config.webhookUrls, clock));
  const webhookWorker = createWebhookWorker({ outbox: webhookOutbox, settings: config, log, events: webhookEvents });
  const keys = await loadKeyRing({ repo: repos.keys, config, clock });
  const tokens = createTokens({ config, keys, clock });
  const passwords = createPasswordPolicy(
    config.passwordBlockCommon && commonPasswords ? await loadCommonPasswords() : null,
  );
  // One Redis connection pair, shared by the limits and the revocation fan-out.
  const redis = config.redisUrl
    ? await connectRedis(config.redisUrl, log, {
        commandTimeoutMs: config.redisCommandTimeoutMs,
        cooldownMs: config.redisBreakerCooldownMs,
      })
    : undefined;
  const { revocations, revocationSync, revocationFeed } = revocationServices({
    config,
    clock,
    redis,
    bus,
    events,
    sessions: repos.sessions,
    feed: revocationFeedRepository(database.db),
  });
  const userCache = createUserCache(config.userCacheTtlMs, userCacheAnswers);
  const audit = createAudit({ repo: repos.audit, clock, events, onUserEvent: userCache.forget });
  const limits = createLimits({ settings: config.rateLimits, audit, redis, prefix: config.redisKeyPrefix });
  const roles = createRoles({
    store: repos.roles,
    findUser: (id) => repos.users.findById(id),
    adminEmails: config.adminEmails,
    clock,
  });
  const sessions = createSessions({ repos, tokens, revocations, audit, config, clock, limits, transactions, roles });
  const challenges = createChallenges({ store: repos.challenges, clock });
  const signIn = createSignIn({ sessions, factors: repos.factors, challenges, audit, config });
  const tokenInfo = createTokenInfo({ tokens, revocations });
  const accounts = createAccounts({ repos, sessions, audit, clock, limits, passwords, transactions, userCache });
  const { outbox, otp, emailCodes } = mailServices({
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
  });
  const { totp, passkeys, secondStep, reauth, security } = await factorServices({
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
  });
  const oauth = await oauthService({ config, clock, repos, transactions, challenges, signIn, reauth, limits, audit });
  const { accountLife, admin } = lifecycleServices({
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
  });
  await followRevocations({ load: loadRevocations, revocationSync, redis, log });
  /** Send what is queued and drop connections (the database is closed by its owner). */
  const close = async () => {
    await webhookWorker.stop();
    await outbox.close();
    await redis?.close();
  };
  return {
    config,
    database,
    clock,
    redisBreaker: redis?.breaker,
    repos,
    transactions,
    webhookOutbox,
    webhookWorker,
    keys,
    tokens,
    revocations,
    revocationSync,
    audit,
    sessions,
    tokenInfo,
    accounts,
    limits,
    outbox,
    otp,
    emailCodes,
    revocationFeed,
    health: healthOf(database),
    signIn,
    challenges,
    totp,
    passkeys,
    secondStep,
    reauth,
    security,
    oauth,
    roles,
    accountLife,
    admin,
    close,
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;

/** How long /readyz waits for the database before answering 503. */
const READY_TIMEOUT_MS = 1000;

const withinLimit = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
};

/**
 * Readiness (`/readyz`): the reason the database cannot serve, or undefined; throws when it
 * does not answer within a second. The round trip is on a connection of its own, closed
 * afterwards: a probe never waits on (or holds) a pooled connection, however busy the pool.
 */
function healthOf(database: Database) {
  return {
    async problem(): Promise<string | undefined> {
      await database.probe(READY_TIMEOUT_MS);
      return schemaProblem(await withinLimit(schemaStatus(database), READY_TIMEOUT_MS));
    },
  };
}

/** Outside the server (the CLI): warnings as one line on stderr. */
const stderrLog: Log = {
  warn: (_details, message) => console.error(`latchkey: ${message}`),
  info: () => {},
};
