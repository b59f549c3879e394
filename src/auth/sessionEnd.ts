/**
 * Ending sessions: one (logout, a revoke from the sessions page), every one of a user's, and
 * the expired rows that `latchkey tokens flush-expired` deletes.
 */
import type { RequestMeta } from './audit.js';
import { pinnedTime } from './clock.js';
import type { Repositories } from './ports.js';
import type { SessionParts } from './sessionDeps.js';
import { changeWithEvents } from './webhooks.js';

/**
 * Revoke with `write` and emit `session.revoked` for each session it ended, in one transaction
 * (rotation's reuse detection ends a session this way too).
 */
export const revokeWithEvents = <T>(
  { transactions, repos }: Pick<SessionParts, 'transactions' | 'repos'>,
  write: (r: Pick<Repositories, 'sessions'>) => Promise<T>,
  ended: (result: T) => { userId: string; sessionIds: readonly string[] },
  reason: string,
) =>
  changeWithEvents(transactions, repos, write, (result) => {
    const { userId, sessionIds } = ended(result);
    return sessionIds.map((sessionId) => ['session.revoked', { userId, sessionId, reason }] as const);
  });

export function createSessionEnd(deps: SessionParts) {
  const { repos, revocations, audit, clock } = deps;
  return {
    /** End one session. With `userId`, only if it belongs to that user. True when it was live. */
    async revoke(
      sessionId: string,
      opts: { reason: string; meta: RequestMeta; userId?: string; actorId?: string | null },
    ): Promise<boolean> {
      const row = await revokeWithEvents(
        deps,
        (r) => r.sessions.revoke(sessionId, opts.reason, pinnedTime(clock), opts.userId),
        (row) => ({ userId: row?.userId ?? '', sessionIds: row ? [sessionId] : [] }),
        opts.reason,
      );
      // Refuse its access tokens here even if it was already revoked (idempotent).
      if (row || !opts.userId) await revocations.revoke([sessionId]);
      if (row)
        await audit.record(
          opts.reason === 'logout' ? 'logout' : 'session_revoked',
          row.userId,
          opts.meta,
          { sessionId, reason: opts.reason },
          opts.actorId,
        );
      return Boolean(row);
    },

    /** End every session of a user (optionally keeping one); returns how many ended. */
    async revokeAll(
      userId: string,
      opts: { reason: string; meta: RequestMeta; exceptSessionId?: string; actorId?: string | null },
    ): Promise<number> {
      const ids = await revokeWithEvents(
        deps,
        (r) => r.sessions.revokeAllForUser(userId, opts.reason, pinnedTime(clock), opts.exceptSessionId),
        (sessionIds) => ({ userId, sessionIds }),
        opts.reason,
      );
      await revocations.revoke(ids);
      if (ids.length) {
        await audit.record(
          opts.reason === 'logout' ? 'logout' : 'session_revoked',
          userId,
          opts.meta,
          { sessions: ids.length, reason: opts.reason },
          opts.actorId,
        );
      }
      return ids.length;
    },

    /**
     * Delete expired refresh tokens and dead sessions (`latchkey tokens flush-expired`),
     * keeping sessions revoked so recently that their access tokens may still be
     * live: their rows refuse those tokens after a restart.
     */
    async flushExpired(): Promise<{ sessions: number; refreshTokens: number }> {
      const now = clock.now();
      return repos.sessions.flushExpired(new Date(now), new Date(now - revocations.ttlMs));
    },
  };
}
