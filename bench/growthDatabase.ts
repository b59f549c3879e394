/**
 * The database of the `growth` scenario, grown by SQL rather than through the API: filler
 * accounts (user, profile, one session with its live refresh token, and the sign-in's
 * audit row) added with INSERT … SELECT generate_series, filler sessions revoked in bulk
 * the way a logout revokes one, the tables settled (VACUUM ANALYZE, CHECKPOINT) so no
 * maintenance runs during a measurement, and the CPU time of the database's backends read
 * from /proc (PostgreSQL on this machine) so the cost that moves into PostgreSQL shows too.
 *
 * @example
 *   const db = await growthDatabase(url);
 *   await db.addFiller(1_000, 10_000, passwordHash); // filler accounts 1,000 … 9,999
 *   await db.revokeFiller(10_000);
 *   await db.settle();
 *   const before = await db.backendCpuMs(); … const after = await db.backendCpuMs();
 *   await db.close();
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';

/** The user agent of every filler session: how the bench tells them from the sessions it exercises. */
const FILLER_AGENT = 'latchkey-bench growth filler';

export interface GrowthCounts {
  users: number;
  sessions: number;
  refreshTokens: number;
  auditEvents: number;
  /** Revoked sessions (all revoked by this run, within the access-token lifetime: a server loads them at start). */
  revoked: number;
}

export interface GrowthDatabase {
  /** Add filler accounts numbered `from` … `to - 1`. */
  addFiller(from: number, to: number, passwordHash: string): Promise<void>;
  /** Revoke live filler sessions until `total` filler sessions are revoked. */
  revokeFiller(total: number): Promise<void>;
  /** VACUUM ANALYZE the grown tables and CHECKPOINT: the statistics, visibility map and dirty pages of a settled database. */
  settle(): Promise<void>;
  counts(): Promise<GrowthCounts>;
  /**
   * CPU time (user + system, ms) of this database's client backends other than the bench's
   * own, or undefined when they cannot be read (PostgreSQL on another machine). Backends that
   * ended between two readings take their time with them: a pool keeps its connections under load.
   */
  backendCpuMs(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Filler ids are derived from their number, so two connections can insert an account's rows at once. */
const id = (kind: string) => `md5('${kind}' || i)::uuid`;

export async function growthDatabase(url: string): Promise<GrowthDatabase> {
  const open = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    // Sorting GIN (trigram) entries in memory rather than on disk.
    await c.query(`set work_mem = '256MB'`);
    // The filler's foreign keys hold by construction (each profile or token is inserted after its row,
    // on the same connection). A superuser may skip their per-row checks, which lock — and so rewrite —
    // every parent row: a third of the time of a million accounts. Without the right, they are checked.
    await c.query('set session_replication_role = replica').catch(() => {});
    return c;
  };
  const client = await open();
  /** A backend's CPU time in ms, from /proc (its clock tick, USER_HZ, is 100 on Linux); undefined when not there. */
  const cpuMsOf = async (pid: number) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (!stat?.includes('(postgres)')) return undefined;
    // The fields after the command name: state is the 3rd of the line, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  // PostgreSQL on this machine: the bench's own backend is there to read.
  const { rows: own } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  const local = (await cpuMsOf(own[0].pid)) !== undefined;

  return {
    async addFiller(from, to, passwordHash) {
      if (to <= from) return;
      const range = [from, to - 1];
      const second = await open();
      try {
        // Accounts on one connection, sessions on the other: sessions.user_id has no foreign key,
        // and each table's own foreign key is satisfied in its connection's order.
        await Promise.all([
          (async () => {
            await client.query(
              `insert into users (id, email, password_hash, created_at)
               select ${id('u')}, 'filler' || i || '@growth.bench.example', $3, now() - i * interval '1 second'
               from generate_series($1::int, $2::int) i`,
              [...range, passwordHash],
            );
            await client.query(
              `insert into profiles (user_id, display_name, updated_at)
               select ${id('u')}, 'Filler ' || i, now() - i * interval '1 second' from generate_series($1::int, $2::int) i`,
              range,
            );
          })(),
          (async () => {
            await second.query(
              `insert into sessions (id, user_id, remember_me, created_at, last_used_at, expires_at, user_agent, ip, authenticated_at, amr)
               select ${id('s')}, ${id('u')}, false, now(), now(), now() + interval '30 days', $3, '127.0.0.1', now(), '["pwd"]'::jsonb
               from generate_series($1::int, $2::int) i`,
              [...range, FILLER_AGENT],
            );
            await second.query(
              `insert into refresh_tokens (jti, session_id, issued_at, expires_at)
               select ${id('t')}, ${id('s')}, now(), now() + interval '30 days' from generate_series($1::int, $2::int) i`,
              range,
            );
            await second.query(
              `insert into audit_events (user_id, type, ip, user_agent, at, detail)
               select ${id('u')}, 'login_succeeded', '127.0.0.1', $3, now(), jsonb_build_object('sessionId', ${id('s')})
               from generate_series($1::int, $2::int) i`,
              [...range, FILLER_AGENT],
            );
          })(),
        ]);
      } finally {
        await second.end();
      }
    },
    async revokeFiller(total) {
      const { rows } = await client.query<{ n: string }>(
        'select count(*) as n from sessions where user_agent = $1 and revoked_at is not null',
        [FILLER_AGENT],
      );
      const more = total - Number(rows[0].n);
      if (more <= 0) return;
      // What a logout writes: the database's time and the next number of the revocation order.
      await client.query(
        `update sessions set revoked_at = clock_timestamp(), revoke_reason = 'logout',
           revocation_seq = nextval('session_revocations')
         where id in (select id from sessions where user_agent = $1 and revoked_at is null limit $2)`,
        [FILLER_AGENT, more],
      );
    },
    async settle() {
      for (const table of ['users', 'profiles', 'sessions', 'refresh_tokens', 'audit_events'])
        await client.query(`vacuum analyze ${table}`);
      // Needs a superuser (or pg_checkpoint); without it the background writer catches up instead.
      await client.query('checkpoint').catch(() => {});
    },
    async counts() {
      const { rows } = await client.query<Record<string, string>>(
        `select (select count(*) from users) as users, (select count(*) from sessions) as sessions,
                (select count(*) from refresh_tokens) as refresh_tokens, (select count(*) from audit_events) as audit_events,
                (select count(*) from sessions where revoked_at is not null) as revoked`,
      );
      const r = rows[0];
      return {
        users: Number(r.users),
        sessions: Number(r.sessions),
        refreshTokens: Number(r.refresh_tokens),
        auditEvents: Number(r.audit_events),
        revoked: Number(r.revoked),
      };
    },
    async backendCpuMs() {
      if (!local) return undefined;
      const { rows } = await client.query<{ pid: number }>(
        `select pid from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      let ms = 0;
      // A backend that has just ended is not counted (its time went with it).
      for (const { pid } of rows) ms += (await cpuMsOf(pid)) ?? 0;
      return ms;
    },
    close: () => client.end(),
  };
}
