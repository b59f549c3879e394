/**
 * Scenario `hostile-documents` (issue 15): `{ me … }` throughput and `/healthz` p99 while
 * one connection sends GraphQL documents built to be expensive to parse and validate
 * (thousands of fragment spreads, a token flood, fragments and directives past the
 * limits, and one just inside them), each with a random comment so no cache helps.
 * The reference is the same `me` load and `/healthz` probe with no hostile connection,
 * in the same round.
 */
import { randomUUID } from 'node:crypto';
import { type LoadResult, type Target, httpTarget } from './load.js';
import type { ServerProcess } from './processes.js';
import { resultRow, type Scenario } from './scenarios.js';
import { median, round } from './stats.js';

/** Documents a client without a token may send; each is valid GraphQL. */
export function hostileDocument(n: number): string {
  const salt = `# ${randomUUID()}\n`;
  switch (n % 5) {
    case 0:
      return `${salt}{ me { ${'...F '.repeat(1500)} } } fragment F on User { id }`;
    case 1:
      return `${salt}{ me { ${'id '.repeat(3000)} } }`;
    case 2:
      return `${salt}{ me { ${'...F '.repeat(60)} } } fragment F on User { id email }`;
    case 3:
      return `${salt}{ me { ${Array.from({ length: 40 }, (_, i) => `a${i}: id @include(if: true)`).join(' ')} } }`;
    default:
      // Inside every limit: what an attacker can still make the server validate.
      return `${salt}{ me { ${'...F '.repeat(19)} } } fragment F on User { id email profile { displayName bio } }`;
  }
}

export function hostileDocumentsScenario(o: { server: ServerProcess; url: string; me: Target }): Scenario {
  const sideRuns = new Map<string, LoadResult[]>();
  const keep = (key: string, r: LoadResult) => sideRuns.set(key, [...(sideRuns.get(key) ?? []), r]);
  const healthz = httpTarget({
    name: '/healthz',
    server: o.server,
    url: o.url,
    path: '/healthz',
    method: 'GET',
    connections: 1,
  });
  const hostile = httpTarget({
    name: 'hostile documents',
    server: o.server,
    url: o.url,
    path: '/graphql',
    connections: 1,
    vary: (n) => ({ body: JSON.stringify({ query: hostileDocument(n) }) }),
  });
  const composite = (name: string, attacked: boolean): Target => ({
    name,
    server: o.server,
    async run(seconds) {
      const [me, health, attack] = await Promise.all([
        o.me.run(seconds),
        healthz.run(seconds),
        attacked ? hostile.run(seconds) : undefined,
      ]);
      keep(`${name}:healthz`, health);
      if (attack) keep(`${name}:hostile`, attack);
      return me;
    },
  });
  const underAttack = composite('Latchkey me + 1 hostile connection', true);
  const quiet = composite('Latchkey me, no hostile connection', false);
  const p99 = (key: string) => round(median((sideRuns.get(key) ?? []).map((r) => r.p99Ms)), 2);
  return {
    name: 'hostile-documents',
    targets: [underAttack, quiet],
    rows: async (m) => {
      const attacks = sideRuns.get(`${underAttack.name}:hostile`) ?? [];
      return [
        resultRow({
          scenario: 'hostile-documents',
          what: '{ me … } (50 connections) and GET /healthz (1 connection) while 1 connection sends hostile GraphQL documents',
          subject: { name: underAttack.name, runs: m.get(underAttack)! },
          reference: { name: quiet.name, runs: m.get(quiet)! },
          target: 'ratio ≥ 0.8, /healthz p99 under attack ≤ 15 ms',
          goals: (r) => r.ratio >= 0.8 && p99(`${underAttack.name}:healthz`) <= 15,
          extra: {
            healthzP99MsUnderAttack: p99(`${underAttack.name}:healthz`),
            healthzP99MsQuiet: p99(`${quiet.name}:healthz`),
            hostileRequestsPerSecond: round(median(attacks.map((r) => r.rps)), 1),
            hostileP50Ms: round(median(attacks.map((r) => r.p50Ms)), 2),
            // Answered (200): only the document built inside every limit; the others are refused (400).
            hostileWithinLimitsAnswered: attacks.reduce((n, r) => n + r.ok, 0),
          },
        }),
      ];
    },
  };
}
