/**
 * The benchmark's pure parts: statistics, result rows and their schema, the markdown
 * table, the SVG chart and the generated section of docs/performance.md. (Speed itself
 * is never asserted in tests: that is `npm run bench`.)
 */
import { describe, expect, it } from 'vitest';
import type { Measured } from '../../bench/load.js';
import {
  GENERATED_END,
  GENERATED_START,
  markdownTable,
  replaceGenerated,
  resultSchema,
  resultsSchema,
  runSchema,
  svgChart,
} from '../../bench/report.js';
import { chainFigures, pairedRatio, resultRow, skippedRow } from '../../bench/scenarios.js';
import { median, percentile, ratio } from '../../bench/stats.js';

const run = (rps: number, p99Ms = 5, errors = 0, loop = 3, cpuUs = 100): Measured => ({
  load: { requests: rps * 10, rps, p50Ms: p99Ms / 2, p99Ms, errors, ok: rps * 10 - errors },
  reading: {
    eventLoopP50Ms: 1,
    eventLoopP99Ms: loop,
    eventLoopMaxMs: loop * 2,
    peakRssMb: 120,
    maxRssMb: 130,
    cpuMs: 0,
    loopBusyMs: 0,
  },
  cpuUsPerRequest: cpuUs,
});

describe('statistics', () => {
  it('takes the median of odd and even counts, and NaN of nothing', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('gives ratios to three decimals, NaN against a zero reference', () => {
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(5, 0)).toBeNaN();
  });

  it('pairs each round with its reference round', () => {
    // Round ratios 0.5, 0.25, 1 → median 0.5 (not 1600/3000 of the medians' ratio).
    expect(pairedRatio([run(500), run(1000), run(3000)], [run(1000), run(4000), run(3000)])).toBe(0.5);
  });
});

describe('result rows', () => {
  const row = resultRow({
    scenario: 'me',
    what: '{ me { id } }',
    subject: { name: 'Latchkey me', runs: [run(600, 12), run(500, 14, 1), run(700, 10)] },
    reference: { name: 'bare', runs: [run(1000), run(1000), run(1000)] },
    target: 'ratio ≥ 0.5',
    goals: (r) => r.ratio >= 0.5,
  });

  it('summarises rounds as medians, sums errors and checks the targets', () => {
    expect(row).toMatchObject({
      rps: 600,
      p99Ms: 12,
      errors: 1,
      referenceRps: 1000,
      ratio: 0.6,
      eventLoopP99Ms: 3,
      rssMb: 120,
      met: true,
    });
    expect(row.sides.map((s) => s.name)).toEqual(['Latchkey me', 'bare']);
    expect(resultSchema.parse(row)).toEqual(row);
  });

  it('fails the event-loop target even when the ratio is met', () => {
    const slow = resultRow({
      scenario: 'verify',
      what: 'x',
      subject: { name: 'Latchkey verify', runs: [run(900, 5, 0, 25)] },
      reference: { name: 'hello', runs: [run(1000)] },
      target: 'ratio ≥ 0.4',
      goals: (r) => r.ratio >= 0.4,
    });
    expect(slow.met).toBe(false);
    expect(slow.eventLoopP99MaxMs).toBe(25);
  });

  it('reports the cost ratio beside the rate ratio, and meets a target by either', () => {
    // The reference answers twice as fast per request of CPU, but the shared cores cap its rate.
    const spec = {
      scenario: 'me',
      what: 'x',
      subject: { name: 'Latchkey me', runs: [run(900, 5, 0, 3, 200), run(950, 5, 0, 3, 180)] },
      reference: { name: 'bare', runs: [run(1000, 5, 0, 3, 100), run(1000, 5, 0, 3, 100)] },
      target: 'ratio ≥ 0.8',
      goals: (r: { ratio: number }) => r.ratio >= 0.8,
    };
    const row = resultRow(spec);
    expect(row).toMatchObject({ ratio: 0.925, cpuUsPerRequest: 190, referenceCpuUsPerRequest: 100 });
    expect(row.cpuRatio).toBeCloseTo(0.528, 3);
    expect(row.met).toBe(true);
    expect(resultRow({ ...spec, goals: (r) => r.ratio >= 0.95 }).met).toBe(false);
    // Cheaper per request than the reference: met by cost although the rate is lower.
    const cheap = resultRow({ ...spec, subject: { name: 'L', runs: [run(700, 5, 0, 3, 50), run(700, 5, 0, 3, 50)] } });
    expect(cheap).toMatchObject({ ratio: 0.7, cpuRatio: 2, met: true });
    expect(markdownTable([row]).split('\n')[2]).toContain('| 0.93 | 190 | 100 | 0.53 |');
  });

  it('counts a forked refresh chain and impossible rotation counts as errors', () => {
    const fine = chainFigures(
      'latchkey',
      { sessions: 10, rotations: 105, duplicateRotations: 0, revoked: 0 },
      100,
      10,
      1,
    );
    expect(fine.errors).toBe(0);
    const forked = chainFigures(
      'latchkey',
      { sessions: 10, rotations: 105, duplicateRotations: 2, revoked: 1 },
      100,
      10,
      1,
    );
    expect(forked.errors).toBe(3);
    // More rotations answered than the database made: something is wrong.
    expect(chainFigures('x', { sessions: 1, rotations: 5, duplicateRotations: 0, revoked: 0 }, 9, 1, 1).errors).toBe(4);
  });

  it('renders a table with one line per scenario, skipped ones with their reason', () => {
    const table = markdownTable([
      row,
      skippedRow('peer-login', 'x', 'better-auth', 'report', 'npm ci failed | offline'),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('| me | 600 |');
    expect(lines[2]).toContain('✅');
    expect(lines[3]).toContain('skipped: npm ci failed / offline');
  });

  it('draws one bar per side, escaped, on a log scale', () => {
    const svg = svgChart([row, { ...row, scenario: 'a <b> & "c"' }]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<title>/g)).toHaveLength(4);
    expect(svg).toContain('a &#60;b&#62; &#38; &#34;c&#34;');
    const width = (name: string) =>
      Number(new RegExp(`width="([\\d.]+)" height="16" fill="[^"]+"><title>me: ${name}`).exec(svg)?.[1]);
    // 600 vs 1000 req/s on a log scale: close, not 60 %.
    expect(width('Latchkey me') / width('bare')).toBeGreaterThan(0.9);
  });

  it('validates a results file (one object per scenario) and its run file', () => {
    expect(resultsSchema.parse([row, { ...row, scenario: 'verify' }]).map((r) => r.scenario)).toEqual(['me', 'verify']);
    expect(() => resultsSchema.parse([{ ...row, rps: 'fast' }])).toThrow();
    expect(() => resultsSchema.parse({ results: [row] })).toThrow();
    const run = { startedAt: new Date().toISOString(), smoke: true, machine: 'm', settings: { rounds: 1 } };
    expect(runSchema.parse(run).machine).toBe('m');
    expect(() => runSchema.parse({ ...run, settings: { rounds: [1] } })).toThrow();
  });
});

describe('docs/performance.md', () => {
  const args = { table: '| t |', machine: '2 cores', chartPath: 'performance.svg', when: 'today' };

  it('appends the generated section to a doc that has none', () => {
    const doc = replaceGenerated('# Performance\n\nProse.\n', args);
    expect(doc.startsWith(`# Performance\n\nProse.\n\n${GENERATED_START}`)).toBe(true);
    expect(doc).toContain('| t |');
    expect(doc.trimEnd().endsWith(GENERATED_END)).toBe(true);
  });

  it('replaces only what is between the markers', () => {
    const once = replaceGenerated('# P\n\nBefore.\n', args);
    const twice = replaceGenerated(`${once}\nAfter.\n`, { ...args, table: '| new |' });
    expect(twice).toContain('Before.');
    expect(twice).toContain('After.');
    expect(twice).toContain('| new |');
    expect(twice).not.toContain('| t |');
    expect(twice.split(GENERATED_START)).toHaveLength(2);
  });
});
