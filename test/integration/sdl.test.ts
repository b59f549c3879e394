/**
 * Schema for tools: `schema.graphql` (committed) is the running schema, and the
 * standard introspection query of graphql-js answers in development under the
 * default depth limit (GRAPHQL_MAX_DEPTH=10 must not block it); in production
 * introspection stays off.
 */
import { readFile } from 'node:fs/promises';
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlSchema } from '../../src/graphql/schema.js';
import { pglite } from '../support/databases.js';
import { send, suiteServer } from '../support/server.js';

const json = { 'content-type': 'application/json' };
const introspect = (url: string) =>
  send(url, '/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query: getIntrospectionQuery() }) });

describe('schema.graphql', () => {
  it('is the running schema (run `npm run schema` after changing it)', async () => {
    const committed = await readFile('schema.graphql', 'utf8');
    expect(committed.trim()).toBe(printSchema(graphqlSchema()).trim());
  });
});

describe('introspection in development', () => {
  const t = suiteServer(pglite);

  it('answers graphql-js’s standard introspection query at the default depth limit, giving the same schema', async () => {
    expect(t.config.graphqlMaxDepth).toBe(10);
    const res = await introspect(t.url);
    expect(res.json.errors).toBeUndefined();
    expect(printSchema(buildClientSchema(res.json.data)).trim()).toBe(
      (await readFile('schema.graphql', 'utf8')).trim(),
    );
  });

  it('refuses introspection deeper than the standard query needs', async () => {
    const tooDeep = `{ __schema { types { fields { type { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } } } } }`;
    const res = await send(t.url, '/graphql', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ query: tooDeep }),
    });
    expect(res.status).toBe(400);
    expect(res.json.errors[0]).toMatchObject({
      message: expect.stringMatching(/^Introspection is \d+ levels deep/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('a small GRAPHQL_MAX_DEPTH', () => {
  const t = suiteServer(pglite, { env: { GRAPHQL_MAX_DEPTH: '2' } });

  it('refuses ordinary queries deeper than it, and still lets the introspection query through', async () => {
    const ok = await send(t.url, '/graphql', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(ok.json).toEqual({ data: { me: null } });
    const deep = await send(t.url, '/graphql', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ query: '{ me { profile { bio } } }' }),
    });
    expect(deep.status).toBe(400);
    expect(deep.json.errors[0]).toMatchObject({
      message: 'Query is 3 levels deep; at most 2 allowed',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect((await introspect(t.url)).json.errors).toBeUndefined();
  });
});

describe('introspection in production', () => {
  const t = suiteServer(pglite, {
    env: { NODE_ENV: 'production', LATCHKEY_KEY_SECRET: 'a-key-secret-for-the-sdl-test' },
  });

  it('is off', async () => {
    const res = await introspect(t.url);
    expect(res.json.data).toBeUndefined();
    expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
