/**
 * What this instance saw of the database stalling under its refreshes, so that a rotation the
 * stall swallowed does not sign its user out (see `rotateOrAnswer`).
 *
 * A rotation is stamped when its statement runs. If the database then stalls before the commit
 * reaches the instance (frozen, a disk that stops flushing), the instance gives up, answers
 * SERVICE_UNAVAILABLE, and the rotation may still commit when the stall ends: stamped before it,
 * with a successor nobody received. The client retries the old token after the stall, past the
 * grace counted from that stamp — a replay by the letter of the rules. The database cannot say
 * when a commit happened; the instances that waited on it can.
 *
 * An episode is the failures between two answered refreshes. It may have held a rotation run at
 * `usedAt` when it began within `reachMs` of it (the rotation was still waiting) and its last
 * failure came after it; the grace then counts from that last failure, the end of the stall.
 *
 * @example
 *   const witness = createStallWitness(clock);
 *   witness.failed();                         // a rotation timed out
 *   witness.held(usedAt, clock.now(), 7_000, 10_000); // true while the stall is recent
 */
import type { Clock } from './clock.js';

export interface StallWitness {
  /** A refresh failed for the database (timed out, no connection, ran past its deadline). */
  failed(): void;
  /** A refresh was answered by the database: the episode, if any, is over. */
  answered(): void;
  /**
   * Whether an episode may have held a rotation stamped `usedAt`, and ended less than `graceMs`
   * before `now`. Both times on this instance's clock.
   */
  held(usedAt: number, now: number, reachMs: number, graceMs: number): boolean;
}

export function createStallWitness(clock: Clock): StallWitness {
  let open = false;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  return {
    failed() {
      const at = clock.now();
      if (!open) first = at;
      open = true;
      last = at;
    },
    answered() {
      open = false;
    },
    held: (usedAt, now, reachMs, graceMs) => first <= usedAt + reachMs && last >= usedAt && now - last <= graceMs,
  };
}
