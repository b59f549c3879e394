/**
 * The profile over HTTP: always present, partial updates, clearing with null,
 * only http(s) avatar URLs, length limits, and DateTime values as ISO 8601
 * strings in UTC.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { registerUser, suiteServer, type TestClient } from '../support/server.js';

const targets = await databaseTargets();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UPDATE =
  'mutation($input: ProfileInput!) { updateProfile(input: $input) { displayName bio avatarUrl updatedAt } }';
const PROFILE = '{ me { createdAt lastLoginAt profile { displayName bio avatarUrl updatedAt } } }';

describe.each(targets)('profile on $name', (target) => {
  const t = suiteServer(target, { manualClock: true });

  const update = (c: TestClient, input: Record<string, unknown>) => c.gql(UPDATE, { input });

  it('is there for a user who never set one, with ISO dates', async () => {
    const alice = t.client();
    await registerUser(alice);
    const { me } = (await alice.gql(PROFILE)).body.data;
    expect(me.profile).toEqual({
      displayName: null,
      bio: null,
      avatarUrl: null,
      updatedAt: expect.stringMatching(ISO),
    });
    expect(me.createdAt).toMatch(ISO);
    expect(me.lastLoginAt).toMatch(ISO);
  });

  it('changes only the fields given, clears a field with null, and moves updatedAt', async () => {
    const bob = t.client();
    await registerUser(bob, { displayName: 'Bob' });
    const first = await update(bob, { bio: 'Builds things.\nMostly sheds.', avatarUrl: 'https://example.com/bob.png' });
    expect(first.body.data.updateProfile).toMatchObject({
      displayName: 'Bob',
      bio: 'Builds things.\nMostly sheds.',
      avatarUrl: 'https://example.com/bob.png',
    });

    t.clock!.advance(5_000);
    const second = await update(bob, { displayName: 'Robert', bio: null });
    expect(second.body.data.updateProfile).toMatchObject({
      displayName: 'Robert',
      bio: null,
      avatarUrl: 'https://example.com/bob.png',
    });
    expect(
      new Date(second.body.data.updateProfile.updatedAt).getTime() -
        new Date(first.body.data.updateProfile.updatedAt).getTime(),
    ).toBe(5_000);

    // An empty string clears too; what is stored is what `me` reads.
    await update(bob, { avatarUrl: '' });
    expect((await bob.gql(PROFILE)).body.data.me.profile).toMatchObject({
      displayName: 'Robert',
      bio: null,
      avatarUrl: null,
    });
  });

  it('takes only http(s) avatar URLs', async () => {
    const carol = t.client();
    await registerUser(carol);
    await update(carol, { avatarUrl: 'https://example.com/ok.png' });
    for (const avatarUrl of [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      ' javascript:alert(1)',
      'data:image/svg+xml,<svg onload=alert(1)>',
      'ftp://example.com/a.png',
      'file:///etc/passwd',
      '/relative/path.png',
      'not a url',
    ]) {
      const res = await update(carol, { avatarUrl });
      expect(res.body.errors?.[0].extensions, avatarUrl).toMatchObject({ code: 'BAD_USER_INPUT', field: 'avatarUrl' });
    }
    expect((await carol.gql(PROFILE)).body.data.me.profile.avatarUrl).toBe('https://example.com/ok.png');
    const plain = await update(carol, { avatarUrl: 'http://example.com/a.png' });
    expect(plain.body.data.updateProfile.avatarUrl).toBe('http://example.com/a.png');
  });

  it('refuses text over the limits or with control characters, and keeps the old values', async () => {
    const dave = t.client();
    await registerUser(dave, { displayName: 'Dave' });
    for (const [input, field] of [
      [{ displayName: 'x'.repeat(101) }, 'displayName'],
      [{ displayName: 'Dave\u0007' }, 'displayName'],
      [{ displayName: 'Line\nbreak' }, 'displayName'],
      [{ bio: 'x'.repeat(1001) }, 'bio'],
      [{ bio: 'escape \u001b[31m sequences' }, 'bio'],
      [{ avatarUrl: `https://example.com/${'a'.repeat(2048)}` }, 'avatarUrl'],
    ] as const) {
      const res = await update(dave, input);
      expect(res.body.errors?.[0].extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(res.body.errors![0].message).not.toMatch(/violates|column|constraint/i);
    }
    expect((await dave.gql(PROFILE)).body.data.me.profile.displayName).toBe('Dave');
    const atLimit = await update(dave, { displayName: 'x'.repeat(100), bio: 'y'.repeat(1000) });
    expect(atLimit.body.errors).toBeUndefined();
  });

  it('needs a signed-in user', async () => {
    const res = await t.client().gql(UPDATE, { input: { displayName: 'Nobody' } });
    expect(res.code).toBe('UNAUTHENTICATED');
  });
});
