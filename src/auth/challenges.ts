/**
 * Challenges: opaque, random, single-use values handed out between the steps of a sign-in
 * (the second step after a first factor, enrolment under MFA_REQUIRED) and as the WebAuthn
 * challenge of each passkey ceremony. Only a SHA-256 of each is stored, so a database read
 * gives nothing that can be replayed; each lives 5 minutes.
 *
 * @example
 *   const value = await challenges.issue('second_factor', { userId, amr: ['pwd'], rememberMe });
 *   const row = await challenges.find(value, ['second_factor']); // or CHALLENGE_INVALID
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';
import type { ChallengeKind, ChallengeRow, ChallengeStore, NewChallenge } from './factorPorts.js';

export const CHALLENGE_TTL_MS = 5 * 60_000;

/** Longer than any value we hand out; anything longer is not ours and is refused before a query. */
const MAX_LENGTH = 128;

export const challengeHash = (value: string) => createHash('sha256').update(value).digest('base64url');

export function createChallenges({ store, clock }: { store: ChallengeStore; clock: Clock }) {
  const now = () => new Date(clock.now());
  const invalid = () => new AuthError('CHALLENGE_INVALID');
  const usable = (value: unknown): value is string =>
    typeof value === 'string' && value.length > 0 && value.length <= MAX_LENGTH;

  return {
    /** A new challenge of `kind`; returns the value to hand out (base64url, 256 bits). */
    async issue(
      kind: ChallengeKind,
      fields: Omit<NewChallenge, 'hash' | 'kind' | 'createdAt' | 'expiresAt'>,
    ): Promise<string> {
      const value = randomBytes(32).toString('base64url');
      const at = now();
      await store.create({
        ...fields,
        kind,
        hash: challengeHash(value),
        createdAt: at,
        expiresAt: new Date(at.getTime() + CHALLENGE_TTL_MS),
      });
      return value;
    },
    /** The live challenge `value` names, or CHALLENGE_INVALID (unknown, expired, used, other kind). */
    async find(value: unknown, kinds: ChallengeKind[]): Promise<ChallengeRow> {
      const row = usable(value) ? await store.findLive(challengeHash(value), kinds, now()) : undefined;
      if (!row) throw invalid();
      return row;
    },
    /** Use the challenge up (atomically: of concurrent callers one wins), or CHALLENGE_INVALID. */
    async consume(value: unknown, kinds: ChallengeKind[]): Promise<ChallengeRow> {
      const row = usable(value) ? await store.consume(challengeHash(value), kinds, now()) : undefined;
      if (!row) throw invalid();
      return row;
    },
    /** Count a failed check against the challenge; at `limit` failures it dies. */
    async fail(row: ChallengeRow, limit: number): Promise<void> {
      if ((await store.fail(row.id)) >= limit) await store.kill(row.id, now());
    },
    kill: (row: ChallengeRow) => store.kill(row.id, now()),
    markProven: (row: ChallengeRow, amr: string[]) =>
      store.markProven(row.id, now(), [...new Set([...row.amr, ...amr])]),
  };
}

export type Challenges = ReturnType<typeof createChallenges>;
