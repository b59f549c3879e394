/**
 * `me` and the User type over HTTP, on PGlite and PostgreSQL: the user and profile come
 * back together (one query), `{ me { id } }` is answered from the token, a deactivated
 * user whose token is still live gets `me: null` for anything beyond the id, and the
 * users in auth payloads load their fields only when asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { ME, registerUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/server.js';

const targets = await databaseTargets();

describe.each(targets)('me on $name', (target) => {
  let t: TestServer;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await target.create();
    drop = db.drop;
    t = await startTestServer({ db: db.url });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('answers the user and their profile', async () => {
    const ada = t.client();
    const { email, userId } = await registerUser(ada, { displayName: 'Ada' });
    const me = await ada.gql(ME);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toEqual({
      id: userId,
      email,
      emailVerified: false,
      profile: { displayName: 'Ada', bio: null, avatarUrl: null },
    });
  });

  it('answers { me { id } } with the id the token speaks for, and null without a token', async () => {
    const bob = t.client();
    const { userId } = await registerUser(bob);
    expect((await bob.gql('{ me { id __typename } }')).body.data.me).toEqual({ id: userId, __typename: 'User' });
    expect((await t.client().gql('{ me { id } }')).body.data.me).toBeNull();
  });

  it('answers null for a deactivated user whose token has not been refused yet, unless only the id is asked', async () => {
    const eve = t.client();
    const { userId } = await registerUser(eve);
    // Deactivated behind the server's back (no session revoked): the token itself is still valid.
    await t.server.services.repos.users.setActive(userId, false);
    const me = await eve.gql('{ me { email } }');
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toBeNull();
    // Fragments ask for more than the id, so they load (and see the deactivation) too.
    expect((await eve.gql('{ me { ...F } } fragment F on User { id }')).body.data.me).toBeNull();
  });

  it('loads the user of login and refresh payloads when the query asks for it', async () => {
    const cy = t.client();
    const { email } = await registerUser(cy, { displayName: 'Cy' });
    const login = await cy.gql(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { email lastLoginAt profile { displayName } } } }',
      { e: email, p: TEST_PASSWORD },
    );
    expect(login.body.errors).toBeUndefined();
    expect(login.body.data.login.user).toMatchObject({ email, profile: { displayName: 'Cy' } });
    // Stamped by the sign-in at registration (this login's own stamp lands after the row was read).
    expect(Date.parse(login.body.data.login.user.lastLoginAt)).toBeGreaterThan(Date.now() - 60_000);
    const refreshed = await cy.gql(
      'mutation { refreshToken { user { email username createdAt profile { displayName } } } }',
    );
    expect(refreshed.body.errors).toBeUndefined();
    expect(refreshed.body.data.refreshToken.user).toMatchObject({
      email,
      username: null,
      profile: { displayName: 'Cy' },
    });
  });
});
