/**
 * Documents that cost more to parse and validate than any real client's are
 * refused before validation (400, BAD_USER_INPUT, no stack), on POST and GET;
 * ordinary documents pass as before.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { registerUser, send, suiteServer } from '../support/server.js';

const targets = await databaseTargets();

const post = (url: string, query: string, token?: string) =>
  send(url, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });

/** Each is a valid document a server without limits executes. */
const hostile: [string, string, RegExp][] = [
  ['9 kB (a long comment)', `# ${'x'.repeat(9 * 1024)}\n{ me { id } }`, /Document too large/],
  ['1,200 tokens', `{ me { ${'id '.repeat(1200)} } }`, /at most 1000 tokens/],
  ['25 fragment spreads', `{ me { ${'...F '.repeat(25)} } } fragment F on User { id }`, /Too many fragments/],
  [
    '25 directives',
    `{ me { ${Array.from({ length: 25 }, (_, i) => `a${i}: id @include(if: true)`).join(' ')} } }`,
    /Too many directives/,
  ],
  [
    '1,500 spreads in 52 kB',
    `{ me { ${'...F '.repeat(1500)} } } fragment F on User { id }`.padEnd(52_000, ' '),
    /Document too large/,
  ],
];

describe.each(targets)('document cost on $name', (target) => {
  const t = suiteServer(target);

  it.each(hostile)('refuses %s before validation, with BAD_USER_INPUT and no stack', async (_name, query, message) => {
    const client = t.client();
    await registerUser(client);
    const res = await post(t.url, query, client.token);
    expect(res.status).toBe(400);
    expect(res.json.data).toBeUndefined();
    expect(res.json.errors).toEqual([
      { message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT' } },
    ]);
    expect(res.text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it('refuses them over GET too', async () => {
    const query = `{ me { ${'id '.repeat(1200)} } }`;
    const res = await send(t.url, `/graphql?query=${encodeURIComponent(query)}`);
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([
      { message: expect.stringMatching(/at most 1000 tokens/), extensions: { code: 'BAD_USER_INPUT' } },
    ]);
  });

  it('answers real documents (fragments, directives, aliases within the limits) as before', async () => {
    const client = t.client();
    const { userId } = await registerUser(client);
    const query = `query Page($skip: Boolean = false) { a: me { ...U } b: me @skip(if: $skip) { id ...U } } fragment U on User { id email profile { displayName } }`;
    const res = await post(t.url, query, client.token);
    expect(res.status).toBe(200);
    expect(res.json.data.a.id).toBe(userId);
    expect(res.json.data.b.id).toBe(userId);
  });
});
