/**
 * Coordination between the tabs of one browser. They share one refresh
 * cookie, so a refresh in one tab serves all of them:
 *
 *  - refreshes are serialised across tabs with a Web Lock when the browser has
 *    them (`navigator.locks`); before refreshing, a tab announces it, and a tab
 *    that takes the lock next first waits for that announced refresh to finish
 *    and adopts its result instead of rotating the cookie again;
 *  - without Web Locks (Node, old browsers) the announcement alone is the
 *    coordination: a tab that heard "refreshing" waits for the result. Two tabs
 *    starting in the same instant may both refresh; the server's reuse grace
 *    window answers the loser with the winner's token, so nobody is signed out;
 *  - the result (a new access token, or a sign-out with its reason) is shared
 *    over a BroadcastChannel. Access tokens stay in memory: they are never
 *    written to storage.
 */
import type { LatchkeyUser } from './user.js';

export interface SharedSession {
  accessToken: string;
  /** Local clock, ms: all tabs of a browser share it. */
  expiresAt: number;
  user: LatchkeyUser;
}

export type TabMessage =
  | { type: 'refreshing'; from: string }
  | { type: 'refresh-done'; from: string }
  | { type: 'session'; from: string; session: SharedSession }
  | { type: 'signed-out'; from: string; reason: string | null };

type Outgoing = { type: 'session'; session: SharedSession } | { type: 'signed-out'; reason: string | null };

interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  /** Node only: let the process exit while the channel is open. */
  unref?(): void;
}

export interface TabOptions {
  channelName: string;
  /** Web Locks; `null` turns them off. Default: `navigator.locks` when present. */
  locks?: LockManager | null;
  /**
   * How long to wait for the refresh lock before taking it from its holder (ms, default 10 s):
   * a tab that hangs while holding it (frozen, a fetch that never returns) must not sign every tab out.
   */
  lockTimeoutMs?: number;
  /** BroadcastChannel constructor; `null` turns cross-tab messages off. Default: the global one. */
  BroadcastChannel?: (new (name: string) => BroadcastChannelLike) | null;
  /** How long to wait for another tab's announced refresh before doing it ourselves. */
  peerTimeoutMs?: number;
  now(): number;
  onMessage(message: TabMessage): void;
}

export interface Tabs {
  /** This tab's id (messages from ourselves are ignored). */
  readonly id: string;
  /** True when refreshes are serialised with Web Locks. */
  readonly usesLocks: boolean;
  /** Run `refresh` once no other tab is refreshing; other tabs hear that it started and when it ended. */
  exclusive<T>(refresh: () => Promise<T>): Promise<T>;
  /** Tell the other tabs about a new session or a sign-out. */
  post(message: Outgoing): void;
  close(): void;
}

const randomId = () => Math.random().toString(36).slice(2) + Date.now().toString(36);

/**
 * @example
 *   const tabs = createTabs({ channelName: 'latchkey', now: Date.now, onMessage: (m) => console.log(m) });
 *   await tabs.exclusive(() => refreshOverTheNetwork());
 */
export function createTabs(options: TabOptions): Tabs {
  const id = randomId();
  const peerTimeoutMs = options.peerTimeoutMs ?? 5000;
  const locks =
    options.locks !== undefined
      ? options.locks
      : typeof navigator !== 'undefined' && navigator.locks
        ? navigator.locks
        : null;
  const Channel =
    options.BroadcastChannel !== undefined
      ? options.BroadcastChannel
      : typeof BroadcastChannel !== 'undefined'
        ? (BroadcastChannel as unknown as new (
            name: string,
          ) => BroadcastChannelLike)
        : null;
  const channel = Channel ? new Channel(options.channelName) : null;

  /** Tabs that announced a refresh and have not reported its end, with when they announced it. */
  const refreshingPeers = new Map<string, number>();
  let wake: (() => void)[] = [];

  if (channel) {
    channel.onmessage = (event: MessageEvent) => {
      const message = event.data as TabMessage | undefined;
      if (!message || typeof message !== 'object' || message.from === id) return;
      if (message.type === 'refreshing') refreshingPeers.set(message.from, options.now());
      else if (message.type === 'refresh-done') refreshingPeers.delete(message.from);
      if (message.type !== 'refreshing') {
        const waiting = wake;
        wake = [];
        for (const w of waiting) w();
      }
      options.onMessage(message);
    };
    // In Node an open channel would keep a script alive after its work is done (the timers are unref'd too).
    channel.unref?.();
  }

  const send = (message: TabMessage) => {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel (page unloading): the other tabs will find out on their own next refresh.
    }
  };

  /** Wait until no peer is mid-refresh (a peer that went silent counts as done after the timeout). */
  const peersSettled = async () => {
    for (;;) {
      const now = options.now();
      for (const [peer, since] of refreshingPeers) if (now - since >= peerTimeoutMs) refreshingPeers.delete(peer);
      if (refreshingPeers.size === 0) return;
      const oldest = Math.min(...refreshingPeers.values());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, oldest + peerTimeoutMs - now));
        wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const run = async <T>(refresh: () => Promise<T>): Promise<T> => {
    await peersSettled();
    send({ type: 'refreshing', from: id });
    try {
      return await refresh();
    } finally {
      send({ type: 'refresh-done', from: id });
    }
  };

  return {
    id,
    usesLocks: Boolean(locks),
    exclusive: <T>(refresh: () => Promise<T>) =>
      locks
        ? withLock(locks, `${options.channelName}:refresh`, options.lockTimeoutMs ?? 10_000, () => run(refresh))
        : run(refresh),
    post: (message) => send({ ...message, from: id } as TabMessage),
    close() {
      if (channel) {
        channel.onmessage = null;
        channel.close();
      }
      for (const w of wake) w();
      wake = [];
    },
  };
}

/**
 * Run `task` holding the lock `name`; if it is not granted within `timeoutMs`, steal it (Web Locks'
 * `steal`: the hung holder loses it). Only the wait is limited: once granted, the task runs to its end.
 */
async function withLock<T>(locks: LockManager, name: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
  let granted = false;
  try {
    return (await locks.request(name, { signal: AbortSignal.timeout(timeoutMs) }, () => {
      granted = true;
      return task();
    })) as T;
  } catch (e) {
    if (granted || (e as Error).name !== 'TimeoutError') throw e;
    return (await locks.request(name, { steal: true }, task)) as T;
  }
}
