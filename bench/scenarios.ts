/**
 * The scenarios of issue 5: what Latchkey is asked, what it is compared with in the
 * same run, and the targets. Each scenario names the targets it loads in every round and
 * turns their measurements into result rows.
 */
import type { ChainCheck } from './chains.js';
import type { Measured, Target } from './load.js';
import type { ScenarioResult, Side } from './report.js';
import { median, ratio, round } from './stats.js';

export interface Scenario {
  name: string;
  targets: Target[];
  rows(measured: Map<Target, Measured[]>): Promise<ScenarioResult[]>;
}

/** One target's rounds summarised: medians, summed errors, the peak memory. */
export function side(name: string, runs: readonly Measured[]): Side {
  const readings = runs.map((r) => r.reading).filter((r) => r !== undefined);
  return {
    name,
    rps: round(median(runs.map((r) => r.load.rps)), 1),
    p50Ms: round(median(runs.map((r) => r.load.p50Ms)), 2),
    p99Ms: round(median(runs.map((r) => r.load.p99Ms)), 2),
    errors: runs.reduce((n, r) => n + r.load.errors, 0),
    eventLoopP99Ms: readings.length ? round(median(readings.map((r) => r.eventLoopP99Ms)), 2) : null,
    rssMb: readings.length ? round(Math.max(...readings.map((r) => r.peakRssMb)), 1) : null,
    cpuUsPerRequest: runs.some((r) => r.cpuUsPerRequest !== undefined)
      ? round(median(runs.flatMap((r) => (r.cpuUsPerRequest === undefined ? [] : [r.cpuUsPerRequest]))), 0)
      : null,
    rounds: runs.map((r) => round(r.load.rps, 1)),
  };
}

/** The median of the per-round ratios: each round pairs a run with its reference run right next to it. */
export function pairedRatio(subject: readonly Measured[], reference: readonly Measured[]): number {
  const n = Math.min(subject.length, reference.length);
  return round(median(Array.from({ length: n }, (_, i) => ratio(subject[i].load.rps, reference[i].load.rps))), 3);
}

/** The median of the per-round cost ratios: reference CPU per request ÷ the subject's. */
export function pairedCpuRatio(subject: readonly Measured[], reference: readonly Measured[]): number {
  const n = Math.min(subject.length, reference.length);
  const rounds = Array.from({ length: n }, (_, i) => {
    const [mine, theirs] = [subject[i].cpuUsPerRequest, reference[i].cpuUsPerRequest];
    return mine && theirs ? ratio(theirs, mine) : NaN;
  }).filter((r) => !Number.isNaN(r));
  return round(median(rounds), 3);
}

export const LOOP_TARGET_MS = 10;

export interface RowSpec {
  scenario: string;
  what: string;
  subject: { name: string; runs: Measured[] };
  reference: { name: string; runs: Measured[] };
  /** More sides to show (e.g. a second Latchkey query against the same peer). */
  others?: { name: string; runs: Measured[] }[];
  target: string;
  /**
   * Whether the targets other than the event-loop one are met; null: report only. `ratio` is
   * the better of the req/s ratio and the CPU-per-request ratio of the same run (both are
   * reported): on shared cores either may be the one the noise allows.
   */
  goals: (row: { ratio: number; p99Ms: number; errors: number }) => boolean | null;
  extra?: ScenarioResult['extra'];
  /** Errors found after the runs (e.g. a forked refresh chain). */
  extraErrors?: number;
}

/** A scenario of one subject against one reference, both loaded in every round: one result row of the two. */
export function pairScenario({
  subject,
  reference,
  ...row
}: Omit<RowSpec, 'subject' | 'reference'> & { subject: Target; reference: Target }): Scenario {
  return {
    name: row.scenario,
    targets: [subject, reference],
    rows: async (m) => [
      resultRow({
        ...row,
        subject: { name: subject.name, runs: m.get(subject)! },
        reference: { name: reference.name, runs: m.get(reference)! },
      }),
    ],
  };
}

/** A result row: Latchkey's side against its reference, with the event-loop target checked. */
export function resultRow(spec: RowSpec): ScenarioResult {
  const s = side(spec.subject.name, spec.subject.runs);
  const r = side(spec.reference.name, spec.reference.runs);
  const readings = spec.subject.runs.map((x) => x.reading).filter((x) => x !== undefined);
  const loopMax = readings.length ? Math.max(...readings.map((x) => x.eventLoopP99Ms)) : null;
  const errors = s.errors + (spec.extraErrors ?? 0);
  const value = pairedRatio(spec.subject.runs, spec.reference.runs);
  const cpuValue = pairedCpuRatio(spec.subject.runs, spec.reference.runs);
  const best = Math.max(...[value, cpuValue].filter((v) => !Number.isNaN(v)));
  const goal = Number.isFinite(best) ? spec.goals({ ratio: best, p99Ms: s.p99Ms, errors }) : false;
  const loopOk = s.eventLoopP99Ms === null || s.eventLoopP99Ms <= LOOP_TARGET_MS;
  return {
    scenario: spec.scenario,
    what: spec.what,
    rps: s.rps,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    errors,
    reference: spec.reference.name,
    referenceRps: r.rps,
    ratio: Number.isNaN(value) ? null : value,
    cpuUsPerRequest: s.cpuUsPerRequest,
    referenceCpuUsPerRequest: r.cpuUsPerRequest,
    cpuRatio: Number.isNaN(cpuValue) ? null : cpuValue,
    eventLoopP99Ms: s.eventLoopP99Ms,
    eventLoopP99MaxMs: loopMax,
    rssMb: s.rssMb,
    target: `${spec.target}${spec.target ? '; ' : ''}loop p99 ≤ ${LOOP_TARGET_MS} ms`,
    met: goal === null ? loopOk : goal && loopOk,
    sides: [s, r, ...(spec.others ?? []).map((o) => side(o.name, o.runs))],
    extra: spec.extra ?? {},
  };
}

/** A row for a scenario that could not run. */
export function skippedRow(
  scenario: string,
  what: string,
  reference: string,
  target: string,
  reason: string,
): ScenarioResult {
  return {
    scenario,
    what,
    rps: null,
    p50Ms: null,
    p99Ms: null,
    errors: null,
    reference,
    referenceRps: null,
    ratio: null,
    cpuUsPerRequest: null,
    referenceCpuUsPerRequest: null,
    cpuRatio: null,
    eventLoopP99Ms: null,
    eventLoopP99MaxMs: null,
    rssMb: null,
    target,
    met: null,
    sides: [],
    extra: {},
    skipped: reason,
  };
}

/** Figures of a refresh-chain check, as extra fields, and how many of them are errors. */
export function chainFigures(
  prefix: string,
  check: ChainCheck,
  clientOk: number,
  connectionsPerRun: number,
  runs: number,
) {
  // Rotations the server made but whose answer was cut off when a run ended: at most one per connection and run.
  const unseen = check.rotations - clientOk;
  const plausible = unseen >= 0 && unseen <= connectionsPerRun * runs;
  return {
    extra: {
      [`${prefix}Rotations`]: check.rotations,
      [`${prefix}RotationsAnswered`]: clientOk,
      [`${prefix}DuplicateRotations`]: check.duplicateRotations,
      [`${prefix}RevokedSessions`]: check.revoked,
    },
    errors: check.duplicateRotations + check.revoked + (plausible ? 0 : Math.abs(unseen)),
  };
}
