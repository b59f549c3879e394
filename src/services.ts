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
import { randomBytes } from 'node:crypto';
import { createAccounts } from './auth/accounts.js';
import { createAccountLife } from './auth/accountLife.js';
import { createAdmin } from './auth/admin.js';
import { createRoles } from './auth/roles.js';
import { type AuthEvents, createAudit } from './auth/audit.js';
import { createUserCache } from './auth/userCache.js';
import { type Clock, systemClock } from './auth/clock.js';
import { createEmailCodes } from './auth/emailCodes.js';
import { loadKeyRing } from './auth/keys.js';
import { createLimits } from './auth/limits.js';
import { createOAuth } from './auth/oauth.js';
import { createProvider } from './auth/oauthProviders.js';
import { createOtp } from './auth/otp.js';
import { createPasswordPolicy, loadCommonPasswords } from './auth/passwordPolicy.js';
import { redisRevocationBus } from './auth/revocationBus.js';
import { createRevocationFeed } from './auth/revocationFeed.js';
import { type RevocationBus, createRevocationSync, createRevocations } from './auth/revocations.js';
import { createSessions } from './auth/sessions.js';
import { createSignIn } from './auth/signIn.js';
import { createChallenges } from './auth/challenges.js';
import { createPasskeys } from './auth/passkeys.js';
import { createReauth } from './auth/reauth.js';
import { createRecoveryCodes } from './auth/recoveryCodes.js';
import { createSealer } from './auth/sealer.js';
import { createSecondStep } from './auth/secondStep.js';
import { createSecurity } from './auth/security.js';
import { createTotp } from './auth/totp.js';
import { createTokenInfo } from './auth/tokenInfo.js';
import { createTokens } from './auth/tokens.js';
import { webhookEmitter } from './auth/webhooks.js';
import type { Config } from './config.js';
import { createMailer } from './mail/mailer.js';
import { createOutbox } from './mail/outbox.js';
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
}: ServiceOptions) {
  const repos = repositories(database.db);
  // Webhook events are outbox rows written in the transaction of their change (docs/webhooks.md).
  const webhookOutbox = webhookOutboxRepository(database.db);
  const transactions = storeTransactions(database.db, (outbox) => webhookEmitter(outbox, config.webhookUrls, clock));
  const webhookWorker = createWebhookWorker({ outbox: webhookOutbox, settings: config, log, events: webhookEvents });
  const keys = await loadKeyRing({ repo: repos.keys, config, clock });
  const tokens = createTokens({ config, keys, clock });
  // A revoked session stays in the set as long as one of its access tokens could still be valid.
  const revokedFor = config.accessTokenTtlMs + config.jwtLeewayMs + 1000;
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
  const revocations = createRevocations({
    ttlMs: revokedFor,
    leewayMs: config.jwtLeewayMs,
    clock,
    bus: bus ?? (redis && redisRevocationBus(redis, config.redisKeyPrefix)),
    onRevoke: events?.revoked,
  });
  const userCache = createUserCache(config.userCacheTtlMs);
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
  // Each poll rereads the revocation numbers of as many earlier polls as a revoking statement may take.
  const lag = config.revocationPollMs > 0 ? Math.ceil(config.databaseQueryTimeoutMs / config.revocationPollMs) + 1 : 2;
  const revocationSync = createRevocationSync({ repo: repos.sessions, revocations, clock, lag });
  const revocationFeed = createRevocationFeed({
    repo: revocationFeedRepository(database.db),
    lifetimeMs: revocations.ttlMs,
    clock,
  });
  const accounts = createAccounts({ repos, sessions, audit, clock, limits, passwords, transactions, userCache });
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
  const oauth = createOAuth({
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
  // A start that fails now must not leave Redis connections keeping the process alive.
  if (loadRevocations)
    await revocationSync.load().catch(async (e) => {
      await redis?.close();
      throw e;
    });
  // Pub/sub drops what is published while an instance is disconnected: reread it from the database.
  redis?.onReconnect(
    () =>
      void revocationSync.load().then(
        (n) => log.info({ revocations: n }, 'revocations reloaded from the database after Redis returned'),
        (err) =>
          log.warn({ err }, 'revocations could not be reloaded after Redis returned; the database poll will catch up'),
      ),
  );
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
