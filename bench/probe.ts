/**
 * Loaded into every server the bench starts (`node --import dist/bench/probe.js …`), so
 * the figures are the server's own, not the load generator's: event-loop delay
 * (perf_hooks.monitorEventLoopDelay, 1 ms resolution), peak resident memory and CPU time, reported over
 * the IPC channel the bench opened. It only answers; it never keeps the process alive.
 *
 * Messages `{ id, op }`: `probe.reset` starts a window; `probe.read` answers
 * `{ id, result }` with a ProbeReading for the window since the last reset.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface ProbeReading {
  eventLoopP50Ms: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** Highest resident set size seen in the window (sampled every 50 ms), in MiB. */
  peakRssMb: number;
  /** Lifetime peak resident set size (getrusage maxrss), in MiB. */
  maxRssMb: number;
  /** CPU time (user + system) the process used, in ms, since the process started. */
  cpuMs: number;
  /** Time the event loop's thread was busy (not waiting for I/O), in ms, since the process started. */
  loopBusyMs: number;
}

/**
 * The histogram records the time between two ticks of a `RESOLUTION_MS` timer, so its
 * values include the interval itself (an idle loop reads 1 ms): the delay is what exceeds it.
 */
const RESOLUTION_MS = 1;

if (process.send) {
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  const rss = () => process.memoryUsage.rss() / 2 ** 20;
  let peak = rss();
  setInterval(() => {
    peak = Math.max(peak, rss());
  }, 50).unref();
  const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
  const late = (ns: number) => Math.max(0, ms(ns) - RESOLUTION_MS);

  const read = (): ProbeReading => {
    const cpu = process.cpuUsage();
    return {
      eventLoopP50Ms: late(loop.percentile(50)),
      eventLoopP99Ms: late(loop.percentile(99)),
      eventLoopMaxMs: late(loop.max),
      peakRssMb: Math.round(Math.max(peak, rss()) * 10) / 10,
      maxRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      loopBusyMs: Math.round(performance.eventLoopUtilization().active),
    };
  };
  process.on('message', (message: { id?: number; op?: string }) => {
    if (message?.op === 'probe.reset') {
      loop.reset();
      peak = rss();
      process.send!({ id: message.id });
    } else if (message?.op === 'probe.read') {
      process.send!({ id: message.id, result: read() });
    }
  });
  // The channel must not keep a server alive that is shutting down.
  process.channel?.unref();
}
