/**
 * Prometheus metrics: process defaults (including event-loop delay
 * percentiles from perf_hooks.monitorEventLoopDelay) and one counter per
 * auth event. Each app owns its registry, so tests can run several apps.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditType, AuthEvents } from '../auth/audit.js';
import type { UserCacheAnswer } from '../auth/userCache.js';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const events = new Counter({
    name: 'latchkey_auth_events_total',
    help: 'Auth events by type (login_succeeded, login_failed, refresh, refresh_reuse_detected, session_revoked, ...)',
    labelNames: ['type'],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'latchkey_logins_total',
    help: 'Sign-ins by result',
    labelNames: ['result'],
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'latchkey_refreshes_total',
    help: 'Refresh-token rotations',
    registers: [registry],
  });
  const reuse = new Counter({
    name: 'latchkey_refresh_reuse_detected_total',
    help: 'Rotated refresh tokens replayed after the grace window',
    registers: [registry],
  });
  const revocations = new Counter({
    name: 'latchkey_revocations_total',
    help: 'Sessions ended by logout, revoke, password change or deactivation',
    registers: [registry],
  });
  const revokedSet = new Gauge({
    name: 'latchkey_revoked_sessions',
    help: 'Sessions in the in-process revoked set',
    registers: [registry],
  });
  const redisSkipped = new Gauge({
    name: 'latchkey_redis_skipped',
    help: '1 while Redis is skipped after a command failed or timed out (circuit breaker open)',
    registers: [registry],
  });
  const redisTrips = new Gauge({
    name: 'latchkey_redis_breaker_trips',
    help: 'Times Redis was skipped after a command failed or timed out, since start',
    registers: [registry],
  });

  const backgroundFailures = new Counter({
    name: 'latchkey_background_task_failures_total',
    help: 'Failed runs of background tasks (revocation sync, signing-key reload, …) by task; warned once per outage',
    labelNames: ['task'],
    registers: [registry],
  });

  const webhookAttempts = new Counter({
    name: 'latchkey_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result: delivered, retry (failed, tried again later) or failed (retries ran out)',
    labelNames: ['result'],
    registers: [registry],
  });

  const userCache = new Counter({
    name: 'latchkey_user_cache_reads_total',
    help: 'Reads of the signed-in user for `me` by answer: hit (from memory), shared (a read another request began), read (the database)',
    labelNames: ['answer'],
    registers: [registry],
  });

  const authEvents: AuthEvents = {
    count(type: AuditType, n = 1) {
      events.inc({ type }, n);
      if (type === 'login_succeeded') logins.inc({ result: 'success' }, n);
      else if (type === 'login_failed') logins.inc({ result: 'failure' }, n);
      else if (type === 'refresh') refreshes.inc(n);
      else if (type === 'refresh_reuse_detected') reuse.inc(n);
    },
    revoked: (n) => revocations.inc(n),
  };
  return {
    registry,
    events: authEvents,
    revokedSet,
    redisSkipped,
    redisTrips,
    backgroundFailures,
    webhookEvents: { attempt: (result: string) => webhookAttempts.inc({ result }) },
    userCacheAnswers: (answer: UserCacheAnswer) => userCache.inc({ answer }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
