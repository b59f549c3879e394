/**
 * @latchkey/client against a real server whose PostgreSQL has no connection
 * slot left (a private server with max_connections=12, every slot taken by
 * the test): the server answers SERVICE_UNAVAILABLE (HTTP 503, retryAfter) —
 * never INTERNAL_SERVER_ERROR — and the client retries with backoff and keeps
 * the person signed in: neither a request nor a tab restoring the session
 * from the refresh cookie signs anyone out.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLatchkeyClient, type LatchkeyClient, type SessionState } from '../../packages/client/src/index.js';
import { createCookieFetch } from '../../packages/client/src/node.js';
import { startPrivatePostgres } from '../support/databases.js';
import { startTestServer, type TestServer, TEST_PASSWORD, uniqueEmail } from '../support/server.js';

const postgres = await startPrivatePostgres({ settings: ['max_connections=12'] });

const HOLDER = 'latchkey-test-holder';

/**
 * Take every connection slot: cut the server's own connections and fill the freed slots,
 * until none of the server's is left (it reconnects meanwhile, for its background polls).
 * `release()` gives them back.
 */
async function exhaustSlots(url: string) {
  const holders: pg.Client[] = [];
  const hold = async () => {
    const holder = new pg.Client({ connectionString: url, application_name: HOLDER });
    holder.on('error', () => {});
    try {
      await holder.connect();
      holders.push(holder);
      return true;
    } catch (e) {
      expect((e as { code?: string }).code).toBe('53300'); // too many clients
      return false;
    }
  };
  await hold();
  const admin = holders[0];
  for (let round = 0; round < 20; round++) {
    while (await hold());
    // Wait (up to 5 s) for each terminated backend to exit, so its slot is free before the next fill.
    const { rows } = await admin.query(
      `select pg_terminate_backend(pid, 5000) from pg_stat_activity where backend_type = 'client backend' and application_name <> $1`,
      [HOLDER],
    );
    // Done only when nobody else is connected AND no slot is free: a backend that exited between
    // the last refused connect and that query left a slot the server could take.
    if (!rows.length && !(await hold())) break;
  }
  let released: Promise<void> | undefined;
  return { release: () => (released ??= Promise.all(holders.map((h) => h.end().catch(() => {}))).then(() => {})) };
}

describe.runIf(postgres)('@latchkey/client while PostgreSQL refuses connections', () => {
  const db = postgres!;
  let server: TestServer;
  const open: LatchkeyClient[] = [];
  afterAll(async () => {
    for (const c of open) c.close();
    await server?.close();
    await db.destroy();
  });

  it('retries SERVICE_UNAVAILABLE and keeps the person signed in, in a request and in a tab restoring the session', async () => {
    server = await startTestServer({ db: db.url, env: { DATABASE_POOL_TIMEOUT: '1s' } });
    let slots: Awaited<ReturnType<typeof exhaustSlots>> | undefined;
    const refusals: { status: number; code?: string; retryAfter?: unknown }[] = [];
    // The browser's network: real fetch; the first refusal it sees frees the slots (as load going down would).
    const jar = createCookieFetch(async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 503) {
        const error = (
          (await res.clone().json()) as { errors?: { extensions?: { code?: string; retryAfter?: unknown } }[] }
        ).errors?.[0];
        refusals.push({ status: res.status, code: error?.extensions?.code, retryAfter: error?.extensions?.retryAfter });
        void slots?.release();
      }
      return res;
    });
    const tab = () => {
      const client = createLatchkeyClient({
        url: server.url,
        fetch: jar.fetch,
        channelName: `latchkey-unavailable-${process.pid}-${open.length}`,
        autoRefresh: false,
      });
      open.push(client);
      return client;
    };
    const states: SessionState['status'][] = [];
    const first = tab();
    await first.ready();
    const email = uniqueEmail('busy');
    await first.register({ email, password: TEST_PASSWORD });
    first.subscribe((s) => states.push(s.status));

    // A request while no connection can be had: refused, retried, answered.
    slots = await exhaustSlots(db.url);
    expect(await first.request<{ me: { email: string } }>('{ me { email } }')).toEqual({ me: { email } });
    expect(refusals).toEqual([{ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: 1 }]);

    // A new tab restores the session from the cookie while the database refuses: the refresh is retried.
    await slots.release();
    slots = await exhaustSlots(db.url);
    const second = tab();
    expect(await second.ready()).toMatchObject({ status: 'signedIn', user: { email } });
    expect(refusals).toHaveLength(2);
    expect(refusals[1].code).toBe('SERVICE_UNAVAILABLE');

    // Nobody was signed out at any point, and the refresh cookie was kept.
    expect(states).not.toContain('signedOut');
    expect(first.getState().status).toBe('signedIn');
    expect(jar.cookies.size).toBe(1);
  });
});
