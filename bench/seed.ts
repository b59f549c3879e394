/**
 * Seeding the Latchkey database through Latchkey's own services (no SQL here): users
 * with profiles and one password hash (argon2id, computed once: verifying it costs the
 * same for every user), access tokens for many users, and refresh-token chains — one
 * session per connection per run, so no two connections ever share a chain.
 *
 * @example
 *   const seed = await seedLatchkey(config, { users: 1000, accessTokens: 1000, chains: 400 });
 */
import { decodeJwt } from 'jose';
import type { Config } from '../src/config.js';
import { hashPassword } from '../src/auth/passwords.js';
import { createServices } from '../src/services.js';
import { openDatabase } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';

export const PASSWORD = 'correct horse battery staple';
export const emailOf = (i: number) => `user${i}@bench.example`;

export interface Chain {
  sessionId: string;
  /** The refresh token (Latchkey's cookie value). */
  token: string;
  /** Its jti (what the bare reference keeps in its cookie). */
  jti: string;
}

export interface Seed {
  userCount: number;
  accessTokens: string[];
  /** Chains for Latchkey's refresh runs and, separately, for the reference's. */
  latchkeyChains: Chain[];
  referenceChains: Chain[];
}

/** Run `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** `chains` refresh chains for Latchkey's runs and `referenceChains` (default: as many) for the reference's. */
export async function seedLatchkey(
  config: Config,
  counts: { users: number; accessTokens: number; chains: number; referenceChains?: number },
): Promise<Seed> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: '' });
  try {
    await migrate(database);
    const services = await createServices({ config, database });
    try {
      const passwordHash = await hashPassword(PASSWORD);
      const meta = { ip: '127.0.0.1', userAgent: 'latchkey-bench' };
      const ids = await inBatches(
        Array.from({ length: counts.users }, (_, i) => i),
        8,
        async (i) => {
          const created = await services.repos.users.create({
            email: emailOf(i),
            passwordHash,
            displayName: `Bench User ${i}`,
            createdAt: new Date(),
          });
          if (!('user' in created)) throw new Error(`seeding: ${emailOf(i)} already taken`);
          return created.user.id;
        },
      );
      const start = (i: number) =>
        services.sessions.start(ids[i % ids.length], { rememberMe: false, meta, method: 'password', amr: ['pwd'] });
      const accessTokens = await inBatches(
        Array.from({ length: counts.accessTokens }, (_, i) => i),
        8,
        async (i) => (await start(i)).accessToken,
      );
      const chain = async (i: number): Promise<Chain> => {
        const r = await start(i);
        return { sessionId: r.sessionId, token: r.refreshToken, jti: String(decodeJwt(r.refreshToken).jti) };
      };
      const latchkeyChains = await inBatches(
        Array.from({ length: counts.chains }, (_, i) => i),
        8,
        chain,
      );
      const referenceChains = await inBatches(
        Array.from({ length: counts.referenceChains ?? counts.chains }, (_, i) => i),
        8,
        chain,
      );
      return { userCount: counts.users, accessTokens, latchkeyChains, referenceChains };
    } finally {
      await services.close();
    }
  } finally {
    await database.close();
  }
}
