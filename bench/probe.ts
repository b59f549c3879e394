/**
 * Loaded into every server the bench starts (`node --import dist/bench/probe.js …`), so
 * the figures are the server's own, not the load generator's: event-loop delay
 * (perf_hooks.monitorEventLoopDelay), peak resident memory and CPU time, reported over
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

if (process.send) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const rss = () => process.memoryUsage.rss() / 2 ** 20;
  let peak = rss();
  setInterval(() => {
    peak = Math.max(peak, rss());
  }, 50).unref();
  const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

  const read = (): ProbeReading => {
    const cpu = process.cpuUsage();
    return {
      eventLoopP50Ms: ms(loop.percentile(50)),
      eventLoopP99Ms: ms(loop.percentile(99)),
      eventLoopMaxMs: ms(loop.max),
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
