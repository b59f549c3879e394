/**
 * Refresh chains on the wire and in the database: a per-connection cookie jar that keeps
 * each connection on its own session chain, and the check run afterwards against the
 * database that every chain is still one chain — no token rotated twice, no session
 * revoked by reuse detection.
 *
 * @example
 *   const pool = chainPool(seed.latchkeyChains, (c) => `latchkey_refresh=${c.token}`, 'latchkey_refresh');
 *   … httpTarget({ perConnection: pool.connection }) …
 *   const check = await checkChains(databaseUrl, pool.used());
 */
import pg from 'pg';
import type { Chain } from './seed.js';

export interface ChainPool {
  /** A jar for one new connection, on the next unused chain. */
  connection(): { headers(): Record<string, string>; onResponse(headers: Record<string, string | string[]>): void };
  /** Session ids of the chains handed out so far. */
  used(): string[];
}

/**
 * Chains handed out one per connection, each used once (a chain whose last request was cut
 * off at the end of a run holds a token the client never saw, so it is not reused).
 */
export function chainPool(chains: readonly Chain[], cookieOf: (chain: Chain) => string): ChainPool {
  let next = 0;
  const used: string[] = [];
  return {
    connection() {
      const chain = chains[next++];
      if (!chain) throw new Error(`out of seeded refresh chains (${chains.length})`);
      used.push(chain.sessionId);
      let cookie = cookieOf(chain);
      const name = cookie.slice(0, cookie.indexOf('='));
      return {
        headers: () => ({ cookie }),
        onResponse(headers) {
          const set = headers['set-cookie'];
          for (const c of Array.isArray(set) ? set : set ? [set] : []) {
            if (c.startsWith(`${name}=`) && !c.startsWith(`${name}=;`)) cookie = c.slice(0, c.indexOf(';'));
          }
        },
      };
    },
    used: () => [...used],
  };
}

export interface ChainCheck {
  sessions: number;
  /** Tokens marked used: the rotations the database made. */
  rotations: number;
  /** Chains that forked: a token with two successors, or a session with ≠ 1 live token. */
  duplicateRotations: number;
  /** Sessions revoked during the run (reuse detection would do that). */
  revoked: number;
}

/** Check the chains of `sessionIds` in the database at `url` (read only). */
export async function checkChains(url: string, sessionIds: string[]): Promise<ChainCheck> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      `with t as (select * from refresh_tokens where session_id = any($1::uuid[]))
       select
         (select count(*) from t where used_at is not null) as rotations,
         -- every session has exactly one live token …
         (select count(*) from (select s from unnest($1::uuid[]) s
            left join t on t.session_id = s and t.used_at is null group by s having count(t.jti) <> 1) x) as bad_heads,
         -- … exactly one token that is nobody's successor (a second one means a fork) …
         (select count(*) from (select session_id from t where not exists (select 1 from t p where p.replaced_by = t.jti)
            group by session_id having count(*) <> 1) x) as forks,
         -- … and every used token names a successor that exists.
         (select count(*) from t where used_at is not null and not exists (select 1 from t n where n.jti = t.replaced_by)) as broken,
         (select count(*) from sessions where id = any($1::uuid[]) and revoked_at is not null) as revoked`,
      [sessionIds],
    );
    const r = rows[0];
    return {
      sessions: sessionIds.length,
      rotations: Number(r.rotations),
      duplicateRotations: Number(r.bad_heads) + Number(r.forks) + Number(r.broken),
      revoked: Number(r.revoked),
    };
  } finally {
    await client.end();
  }
}
