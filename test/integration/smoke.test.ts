import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { ME, REFRESH, registerUser, suiteServer } from '../support/server.js';

const targets = await databaseTargets();

describe.each(targets)('core flow on $name', (target) => {
  const t = suiteServer(target);

  it('registers, reads me, refreshes and logs out', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice, { displayName: 'Alice' });
    const me = await alice.gql(ME);
    expect(me.body.data.me.email).toBe(email);
    expect(me.body.data.me.profile.displayName).toBe('Alice');

    const refreshed = await alice.gql(REFRESH);
    expect(refreshed.body.errors).toBeUndefined();
    alice.token = refreshed.body.data.refreshToken.accessToken;

    const out = await alice.gql('mutation { logout }');
    expect(out.body.data.logout).toBe(true);
    const after = await alice.gql(ME);
    expect(after.code).toBe('TOKEN_REVOKED');
  });
});
