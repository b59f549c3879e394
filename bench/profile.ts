/**
 * Summarise a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof`):
 * the functions and the packages that took the most self time. What the speed work in
 * docs/performance.md started from.
 *
 *   node dist/bench/profile.js bench/results/CPU.*.cpuprofile [--top 30]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a script comes from: the npm package, or our own file. */
export function ownerOf(url: string): string {
  if (!url) return '(native / idle / gc)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node core';
  const own = /\/(dist\/)?(src|bench)\/(.+)$/.exec(url);
  return own ? `${own[2]}/${own[3].replace(/\.js$/, '')}` : url;
}

export function summarise(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Idle samples are time the server waited (for requests or the database): not its cost.
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  profile.samples.forEach((id, i) => {
    if (!idle.has(id)) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${ownerOf(f.url)}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    owners.set(ownerOf(f.url), (owners.get(ownerOf(f.url)) ?? 0) + us);
  }
  const top = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ what: k, ms: us / 1000, share: us / total }));
  return { totalMs: total / 1000, functions: top(fns), owners: top(owners) };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const n = Number(values.top);
  for (const file of positionals) {
    const s = summarise(JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
    console.log(`\n${file}: ${s.totalMs.toFixed(0)} ms busy (idle left out)\n\nby package / file (self time):`);
    for (const o of s.owners.slice(0, n)) console.log(`${(o.share * 100).toFixed(1).padStart(5)} %  ${o.what}`);
    console.log('\nby function (self time):');
    for (const f of s.functions.slice(0, n)) console.log(`${(f.share * 100).toFixed(1).padStart(5)} %  ${f.what}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
