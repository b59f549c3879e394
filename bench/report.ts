/**
 * What a benchmark run produces, and its renderings: the result rows written to
 * bench/results/latest.json and the run's facts to latest.run.json (with zod schemas
 * that check them), the markdown table,
 * the SVG chart, and the generated part of docs/performance.md. Pure functions,
 * tested in test/bench.
 *
 * @example
 *   const table = markdownTable(rows);
 *   const svg = svgChart(rows);
 *   const doc = replaceGenerated(await readFile('docs/performance.md', 'utf8'), { table, machine, chartPath: 'performance.svg' });
 */
import { z } from 'zod';

/** One measured side of a scenario (Latchkey or a reference), medians over the rounds. */
export const sideSchema = z.object({
  name: z.string(),
  rps: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  errors: z.number().int(),
  /** Event-loop delay p99 of that side's server process (median of rounds); null for no server. */
  eventLoopP99Ms: z.number().nullable(),
  rssMb: z.number().nullable(),
  /** Server CPU time per request (µs, median of rounds): steadier than req/s on a shared machine. */
  cpuUsPerRequest: z.number().nullable(),
  /** req/s of each round, in order. */
  rounds: z.array(z.number()),
});
export type Side = z.infer<typeof sideSchema>;

export const resultSchema = z.object({
  scenario: z.string(),
  /** What Latchkey was asked. */
  what: z.string(),
  /** Latchkey's median req/s (null when skipped). */
  rps: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  /** Failed requests: connection errors, non-2xx answers and GraphQL errors (plus failed checks, e.g. a duplicate rotation). */
  errors: z.number().int().nullable(),
  reference: z.string(),
  referenceRps: z.number().nullable(),
  /** Latchkey ÷ reference (req/s). */
  ratio: z.number().nullable(),
  /** Server CPU µs per request of Latchkey and of the reference (medians of rounds). */
  cpuUsPerRequest: z.number().nullable(),
  referenceCpuUsPerRequest: z.number().nullable(),
  /**
   * Reference CPU per request ÷ Latchkey's (paired by round, median): the same comparison
   * as `ratio`, by cost instead of rate — steadier on shared cores, and blind to what the
   * load generator and PostgreSQL take from the machine.
   */
  cpuRatio: z.number().nullable(),
  /** Latchkey server's event-loop delay p99, median of rounds, and the worst round. */
  eventLoopP99Ms: z.number().nullable(),
  eventLoopP99MaxMs: z.number().nullable(),
  /** Peak resident memory of the Latchkey server during the scenario. */
  rssMb: z.number().nullable(),
  target: z.string(),
  /** Whether every target was met; null when there is none (report only) or the scenario was skipped. */
  met: z.boolean().nullable(),
  sides: z.array(sideSchema),
  /** Scenario-specific figures (e.g. rotations checked, the second peer ratio). */
  extra: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  skipped: z.string().optional(),
});
export type ScenarioResult = z.infer<typeof resultSchema>;

export const embeddedSchema = z.object({
  firstStartMs: z.number(),
  nextStartMs: z.number(),
  idleRssMb: z.number(),
  /** The same server on PostgreSQL, idle, for comparison. */
  postgresIdleRssMb: z.number(),
});
export type Embedded = z.infer<typeof embeddedSchema>;

/** `bench/results/latest.json` (smoke.json, partial.json): one object per scenario, as issue 5 asks. */
export const resultsSchema = z.array(resultSchema);

/** `bench/results/latest.run.json` beside it: the run those rows came from. */
export const runSchema = z.object({
  startedAt: z.string(),
  smoke: z.boolean(),
  machine: z.string(),
  settings: z.record(z.string(), z.union([z.number(), z.string()])),
  embedded: embeddedSchema.optional(),
});
export type RunInfo = z.infer<typeof runSchema>;

const num = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const verdict = (met: boolean | null) => (met === null ? '' : met ? ' ✅' : ' ❌');

/** The results as a markdown table, one row per scenario. */
export function markdownTable(results: readonly ScenarioResult[]): string {
  const lines = [
    '| scenario | Latchkey req/s | p50 ms | p99 ms | errors | reference | ref req/s | ratio | CPU µs/req | ref CPU µs/req | CPU ratio | target | loop p99 ms | RSS MB |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of results) {
    if (r.skipped) {
      lines.push(
        `| ${r.scenario} | skipped: ${r.skipped.replaceAll('|', '/')} | | | | ${r.reference} | | | | | | ${r.target} | | |`,
      );
      continue;
    }
    lines.push(
      `| ${r.scenario} | ${num(r.rps)} | ${num(r.p50Ms, 1)} | ${num(r.p99Ms, 1)} | ${num(r.errors)} | ${r.reference} | ${num(r.referenceRps)} | ${num(r.ratio, 2)} | ${num(r.cpuUsPerRequest)} | ${num(r.referenceCpuUsPerRequest)} | ${num(r.cpuRatio, 2)} | ${r.target}${verdict(r.met)} | ${num(r.eventLoopP99Ms, 1)} | ${num(r.rssMb)} |`,
    );
  }
  return lines.join('\n');
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const colors = { latchkey: '#2563eb', reference: '#9ca3af', peer: '#f97316' } as const;
const kindOf = (name: string): keyof typeof colors =>
  name.startsWith('Latchkey') ? 'latchkey' : name.startsWith('better-auth') ? 'peer' : 'reference';

/**
 * A horizontal bar chart of req/s (log scale): per scenario one bar for Latchkey and one
 * for each reference or peer, measured in the same run, each labelled with its server's
 * CPU time per request. Self-contained SVG, no library.
 */
export function svgChart(
  results: readonly ScenarioResult[],
  title = 'Requests per second (log scale) and server CPU µs per request, same run',
): string {
  const measured = results.filter((r) => !r.skipped && r.sides.length);
  const bars = measured.flatMap((r) => r.sides.map((s) => ({ scenario: r.scenario, ...s })));
  const max = Math.max(10, ...bars.map((b) => b.rps));
  const min = 1;
  const top = Math.ceil(Math.log10(max) + 0.15);
  const label = 300;
  const plot = 520;
  const width = label + plot + 150;
  const barH = 16;
  const gap = 4;
  const groupGap = 14;
  const head = 48;
  let y = head;
  const x = (v: number) => label + (Math.log10(Math.max(min, v)) / top) * plot;
  const parts: string[] = [];
  for (const r of measured) {
    parts.push(`<text x="8" y="${y + 11}" class="scenario">${escapeXml(r.scenario)}</text>`);
    y += 16;
    for (const s of r.sides) {
      const w = Math.max(1, x(s.rps) - label);
      parts.push(
        `<text x="${label - 6}" y="${y + barH - 4}" text-anchor="end">${escapeXml(s.name)}</text>`,
        `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[kindOf(s.name)]}"><title>${escapeXml(`${r.scenario}: ${s.name} ${Math.round(s.rps)} req/s`)}</title></rect>`,
        `<text x="${(label + w + 4).toFixed(1)}" y="${y + barH - 4}">${num(s.rps)}${s.cpuUsPerRequest === null ? '' : ` · ${num(s.cpuUsPerRequest)} µs`}</text>`,
      );
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 24;
  const ticks: string[] = [];
  for (let p = 0; p <= top; p++) {
    const tx = x(10 ** p);
    ticks.push(
      `<line x1="${tx.toFixed(1)}" y1="${head - 6}" x2="${tx.toFixed(1)}" y2="${y - groupGap}" class="grid"/>`,
      `<text x="${tx.toFixed(1)}" y="${y + 6}" text-anchor="middle">${num(10 ** p)}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    '<style>text{fill:#111827}.scenario{font-weight:600}.grid{stroke:#e5e7eb}@media (prefers-color-scheme:dark){text{fill:#e5e7eb}.grid{stroke:#374151}}</style>',
    `<text x="8" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    `<rect x="${label}" y="28" width="10" height="10" fill="${colors.latchkey}"/><text x="${label + 14}" y="37">Latchkey</text>`,
    `<rect x="${label + 90}" y="28" width="10" height="10" fill="${colors.reference}"/><text x="${label + 104}" y="37">reference</text>`,
    `<rect x="${label + 190}" y="28" width="10" height="10" fill="${colors.peer}"/><text x="${label + 204}" y="37">better-auth</text>`,
    ...ticks,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

export const GENERATED_START = '<!-- bench:start (written by npm run bench; edit outside these markers) -->';
export const GENERATED_END = '<!-- bench:end -->';

/**
 * `doc` with the part between the markers replaced by the latest table, machine and
 * chart; the markers and that part are appended when the doc has none yet.
 */
export function replaceGenerated(
  doc: string,
  {
    table,
    machine,
    chartPath,
    when,
    embedded,
  }: { table: string; machine: string; chartPath: string; when: string; embedded?: Embedded },
): string {
  const body = [
    GENERATED_START,
    `Latest full run: ${when}, on ${machine}.`,
    '',
    table,
    '',
    `![req/s per scenario: Latchkey, its references and better-auth](${chartPath})`,
    ...(embedded
      ? [
          '',
          `Embedded PGlite (\`npm start\`): ready in ${num(embedded.firstStartMs)} ms on a fresh data directory (migrations, first keys), ${num(embedded.nextStartMs)} ms on the next start; ${num(embedded.idleRssMb)} MB resident when idle (on PostgreSQL: ${num(embedded.postgresIdleRssMb)} MB).`,
        ]
      : []),
    GENERATED_END,
  ].join('\n');
  const start = doc.indexOf(GENERATED_START);
  const end = doc.indexOf(GENERATED_END);
  if (start === -1 || end < start) return `${doc.trimEnd()}\n\n${body}\n`;
  return doc.slice(0, start) + body + doc.slice(end + GENERATED_END.length);
}
