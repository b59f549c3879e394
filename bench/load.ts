/**
 * Load generators: autocannon against an HTTP target (optionally varying each request,
 * or keeping per-connection state such as a refresh cookie), and a measured run of a
 * target with its server's probe reading around it.
 *
 * @example
 *   const target = httpTarget({ name: 'Latchkey', server, url, path: '/graphql', body, connections: 50 });
 *   const run = await measure(target, 10); // { load: { rps, p50Ms, p99Ms, errors }, reading }
 */
import autocannon from 'autocannon';
import type { ProbeReading } from './probe.js';
import type { ServerProcess } from './processes.js';

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and timeouts, non-2xx answers, and answers `check` refused. */
  errors: number;
  /** Answers that passed `check` (e.g. rotations the client saw). */
  ok: number;
}

/** Something that can be loaded for a number of seconds. */
export interface Target {
  name: string;
  /** The process whose event loop and memory are read around a run (none: not a server). */
  server?: ServerProcess;
  run(seconds: number): Promise<LoadResult>;
}

export interface HttpTargetOptions {
  name: string;
  server: ServerProcess;
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /**
   * Headers (and body) of the n-th request, built as it is sent (e.g. a random salt per
   * request). Costs the load generator a request build per request: prefer `cycle`.
   */
  vary?: (n: number) => { headers?: Record<string, string>; body?: string };
  /**
   * Requests built once and sent in turn by every connection (e.g. one per user's token):
   * spreads the load over many users at no per-request cost to the load generator.
   */
  cycle?: readonly { headers?: Record<string, string>; body?: string }[];
  /**
   * Per-connection state: called once per connection; its `headers()` are sent with each
   * request and `onResponse` sees each answer's headers (e.g. to keep a rotated cookie).
   */
  perConnection?: () => {
    headers(): Record<string, string>;
    onResponse(headers: Record<string, string | string[]>): void;
  };
  /** False when a 2xx answer is still a failure (e.g. a GraphQL error). Default: any 2xx is fine. */
  check?: (body: string) => boolean;
}

/**
 * What a run cost the load generator (this process) per request, in CPU µs: it shares the
 * machine's cores with the servers, so a costly generator caps the cheaper side most.
 */
export function generatorCost(before: NodeJS.CpuUsage, requests: number): number | undefined {
  const used = process.cpuUsage(before);
  return requests ? Math.round((used.user + used.system) / requests) : undefined;
}

/** Raw header list [k, v, k, v, …] → an object (repeated names → array). */
function headerObject(raw: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const list = Array.isArray(raw) ? raw : [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const k = String(list[i]).toLowerCase();
    const v = String(list[i + 1]);
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}

export function httpTarget(o: HttpTargetOptions): Target {
  return {
    name: o.name,
    server: o.server,
    async run(seconds) {
      let n = 0;
      const check = o.check;
      const base = { 'content-type': 'application/json', ...o.headers };
      const request: autocannon.Request = { method: o.method ?? 'POST', path: o.path, headers: base, body: o.body };
      const requests = o.cycle?.length
        ? o.cycle.map((v) => ({ ...request, headers: { ...base, ...v.headers }, body: v.body ?? request.body }))
        : [request];
      if (o.vary) {
        const vary = o.vary;
        request.setupRequest = (req: autocannon.Request) => {
          const v = vary(n++);
          return { ...req, headers: { ...req.headers, ...v.headers }, body: v.body ?? req.body };
        };
      }
      const perConnection = o.perConnection;
      // Each connection starts at its own place in the cycle, spread evenly: in step, all of them
      // would ask for the same user at the same moment — a herd no real traffic makes.
      let connection = 0;
      const spread = (client: autocannon.Client) => {
        const start = Math.floor((connection++ * requests.length) / o.connections) % requests.length;
        if (start) client.setRequests([...requests.slice(start), ...requests.slice(0, start)]);
      };
      const result = await autocannon({
        url: o.url,
        connections: o.connections,
        duration: seconds,
        timeout: 20,
        requests,
        // Checked where autocannon already holds the body; an `onResponse` per request would
        // also turn every answer's header list into an object (lodash), at the generator's cost.
        verifyBody: check && ((body) => check(String(body))),
        setupClient: perConnection
          ? (client: autocannon.Client) => {
              spread(client);
              const state = perConnection();
              const send = () => client.setHeaders({ ...base, ...state.headers() });
              send();
              // autocannon hands the parser's info here: { headers: [k, v, …], statusCode, … }
              client.on('headers', (info: unknown) =>
                state.onResponse(headerObject((info as { headers?: unknown }).headers)),
              );
              client.on('response', send);
            }
          : spread,
      });
      // A refused answer is counted once: as non-2xx, or as a 2xx whose body failed `check`.
      const ok2xx = result['2xx'];
      const refused = Math.min(result.mismatches, ok2xx);
      return {
        requests: result.requests.total,
        rps: result.requests.total / Math.max(result.duration, 0.001),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.errors + result.non2xx + refused,
        ok: ok2xx - refused,
      };
    },
  };
}

export interface Measured {
  load: LoadResult;
  /** The target server's probe reading for the run (undefined without a server). */
  reading?: ProbeReading;
  /**
   * CPU time the server process spent per answered request (µs, all its threads): a cost
   * figure far steadier than req/s on a shared machine.
   */
  cpuUsPerRequest?: number;
  /** Of that, the time the event loop's thread was busy per request (µs): the rest ran on other threads. */
  loopUsPerRequest?: number;
  /** CPU time the load generator (this process) spent per request (µs). */
  generatorUsPerRequest?: number;
}

/** Run `target` for `seconds` with its server's probe window around it, then wait for the server to go idle. */
export async function measure(target: Target, seconds: number): Promise<Measured> {
  await target.server?.reset();
  const before = await target.server?.read();
  const generatorBefore = process.cpuUsage();
  const load = await target.run(seconds);
  const generatorUsPerRequest = generatorCost(generatorBefore, load.requests);
  const reading = await target.server?.read();
  // Requests still queued (password hashes above all) must not spill into the next run.
  await target.server?.waitIdle();
  const after = await target.server?.read();
  const cpuUsPerRequest =
    before && after && load.requests ? Math.round(((after.cpuMs - before.cpuMs) * 1000) / load.requests) : undefined;
  const loopUsPerRequest =
    before && after && load.requests
      ? Math.round(((after.loopBusyMs - before.loopBusyMs) * 1000) / load.requests)
      : undefined;
  return { load, reading, cpuUsPerRequest, loopUsPerRequest, generatorUsPerRequest };
}

/**
 * A warm-up run of each target (its answer dropped), then `rounds` rounds of every target,
 * alternating who goes first so a drift in the machine's speed does not favour one side.
 * `run` measures one target once (`what`: 'warm-up' or 'round r/n'); the rounds' answers
 * come back per target, in order.
 *
 * @example
 *   const runs = await inRounds([me, hello], { warmup: 3, rounds: 3, seconds: 10 }, (t, s) => measure(t, s));
 */
export async function inRounds<R>(
  targets: readonly Target[],
  settings: { warmup: number; rounds: number; seconds: number },
  run: (target: Target, seconds: number, what: string) => Promise<R>,
): Promise<Map<Target, R[]>> {
  const runs = new Map<Target, R[]>(targets.map((t) => [t, []]));
  if (settings.warmup > 0) for (const t of targets) await run(t, settings.warmup, 'warm-up');
  for (let round = 1; round <= settings.rounds; round++) {
    const order = round % 2 ? targets : [...targets].reverse();
    for (const t of order) runs.get(t)!.push(await run(t, settings.seconds, `round ${round}/${settings.rounds}`));
  }
  return runs;
}
