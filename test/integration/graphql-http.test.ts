/**
 * GraphQL over HTTP, as a client (or an attacker's page) sees it: JSON POSTs
 * and GET queries run; a mutation over GET and any non-JSON POST are refused
 * before anything executes (no user is created); malformed requests answer
 * BAD_USER_INPUT with a 4xx; no error ever carries a stack, SQL or a token;
 * introspection is off in production.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { pglite } from '../support/databases.js';
import {
  REGISTER,
  TEST_PASSWORD,
  registerUser,
  send,
  suiteServer,
  uniqueEmail,
  type RawResponse,
} from '../support/server.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const registerDoc = (email: string) =>
  `mutation { register(email: "${email}", password: "${TEST_PASSWORD}") { user { id } } }`;

/** Every error has a code from API.md §5 and nothing that looks like a stack, SQL or a token. */
function expectCleanErrors(body: any, code: string) {
  expect(body.errors?.length).toBeGreaterThan(0);
  for (const error of body.errors) {
    expect(error.extensions.code).toBe(code);
    expect(Object.keys(error).every((k) => ['message', 'locations', 'path', 'extensions'].includes(k))).toBe(true);
    const text = JSON.stringify(error);
    expect(text).not.toMatch(/\bat .+:\d+:\d+|stack|node_modules/i);
    expect(text).not.toMatch(/\b(select|insert into|update|delete from)\b .*\b(from|values|set|where)\b/i);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
  }
}

describe('GraphQL over HTTP', () => {
  const t = suiteServer(pglite);

  const post = (body: string | Uint8Array | FormData | URLSearchParams, headers: Record<string, string> = JSON_TYPE) =>
    send(t.url, '/graphql', { method: 'POST', headers, body: body as BodyInit });
  const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    send(t.url, `/graphql?${new URLSearchParams(params)}`, { headers });
  /** Whether `email` is still free: registering it now succeeds. */
  const stillFree = async (email: string) =>
    !(await t.client().gql(REGISTER, { email, password: TEST_PASSWORD })).body.errors;

  it('runs a JSON POST, with or without a charset, answering in the media type the client accepts', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8']) {
      const res = await post(JSON.stringify({ query: '{ me { id } }' }), { 'content-type': type });
      expect(res.status, type).toBe(200);
      expect(res.json).toEqual({ data: { me: null } });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const modern = await post(JSON.stringify({ query: '{ me { id } }' }), {
      ...JSON_TYPE,
      accept: 'application/graphql-response+json, application/json;q=0.9',
    });
    expect(modern.status).toBe(200);
    expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(modern.json).toEqual({ data: { me: null } });
  });

  it('runs queries over GET, with variables and an operation name', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    const res = await get(
      {
        query: 'query Who($x: Boolean!) { me @include(if: $x) { email } }',
        variables: '{"x":true}',
        operationName: 'Who',
      },
      { authorization: `Bearer ${alice.token}` },
    );
    expect(res.status).toBe(200);
    expect(res.json.data.me.email).toBe(email);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a mutation over GET with 405 and does not run it', async () => {
    const email = uniqueEmail('get');
    const res = await get({ query: registerDoc(email) });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toMatch(/POST/);
    expectCleanErrors(res.json, 'BAD_USER_INPUT');
    expect(res.json.data).toBeUndefined();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await stillFree(email)).toBe(true);
  });

  it('refuses a non-JSON POST (what a cross-site form can send) with 415 before anything runs', async () => {
    const bodies: [string, () => Promise<RawResponse>][] = [];
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/graphql']) {
      const email = uniqueEmail('ct');
      bodies.push([
        email,
        () =>
          post(type === 'application/graphql' ? registerDoc(email) : JSON.stringify({ query: registerDoc(email) }), {
            'content-type': type,
          }),
      ]);
    }
    const formEmail = uniqueEmail('form');
    bodies.push([formEmail, () => post(new URLSearchParams({ query: registerDoc(formEmail) }), {})]);
    const multipartEmail = uniqueEmail('multipart');
    const form = new FormData();
    form.set('query', registerDoc(multipartEmail));
    bodies.push([multipartEmail, () => post(form, {})]);
    const noTypeEmail = uniqueEmail('none');
    bodies.push([
      noTypeEmail,
      () =>
        send(t.url, '/graphql', {
          method: 'POST',
          body: new Blob([JSON.stringify({ query: registerDoc(noTypeEmail) })]),
        }),
    ]);

    for (const [email, request] of bodies) {
      const res = await request();
      expect(res.status, email).toBe(415);
      expectCleanErrors(res.json, 'BAD_USER_INPUT');
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await stillFree(email), email).toBe(true);
    }
  });

  it('answers malformed requests with 400 BAD_USER_INPUT and no data', async () => {
    const cases: Record<string, string> = {
      'malformed JSON': '{"query":',
      'empty object': '{}',
      'null query': '{"query":null}',
      'number query': '{"query":5}',
      'JSON where the document should be': JSON.stringify({ query: '{"kind":"Document","definitions":[]}' }),
      'JSON null as the document': JSON.stringify({ query: 'null' }),
      'JSON with spaces where the document should be': JSON.stringify({
        query: ' { "kind": "Document", "definitions": [] } ',
      }),
      'a JSON array as the document': JSON.stringify({ query: '[]' }),
      'JSON true as the document': JSON.stringify({ query: ' true\n' }),
      'a string body': '"{ me { id } }"',
      'syntax error': JSON.stringify({ query: '{ me { ' }),
      'unknown field': JSON.stringify({ query: '{ nope }' }),
      'wrong variable type': JSON.stringify({
        query: 'mutation($e: String!) { requestOtp(email: $e) }',
        variables: { e: 5 },
      }),
      'missing variable': JSON.stringify({ query: 'mutation($e: String!) { requestOtp(email: $e) }' }),
      'variables not an object': JSON.stringify({ query: '{ me { id } }', variables: 'x' }),
      'two operations, no name': JSON.stringify({ query: 'query A { me { id } } query B { me { id } }' }),
      'unknown operation name': JSON.stringify({ query: 'query A { me { id } }', operationName: 'B' }),
      'batched array': JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]),
      'prototype poisoning': '{"query":"{ me { id } }","__proto__":{"admin":true}}',
    };
    for (const [name, body] of Object.entries(cases)) {
      const res = await post(body);
      expect(res.status, name).toBe(400);
      expect(res.headers.get('content-type'), name).toMatch(/json/);
      expect(res.json.data, name).toBeUndefined();
      expectCleanErrors(res.json, 'BAD_USER_INPUT');
    }
    for (const params of [
      { query: '{ me { id } }', variables: '{' } as Record<string, string>,
      { query: 'query A { me { id } } mutation B { logout }' },
      { query: 'query A { me { id } }', operationName: 'Z' },
    ]) {
      const badGet = await get(params);
      expect(badGet.status, JSON.stringify(params)).toBe(400);
      expectCleanErrors(badGet.json, 'BAD_USER_INPUT');
    }
    // Naming the query of a document that also holds a mutation runs just the query.
    expect((await get({ query: 'query A { me { id } } mutation B { logout }', operationName: 'A' })).json).toEqual({
      data: { me: null },
    });
  });

  it('refuses a HEAD request, which would otherwise run a mutation', async () => {
    const email = uniqueEmail('head');
    const res = await send(t.url, `/graphql?${new URLSearchParams({ query: registerDoc(email) })}`, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await stillFree(email)).toBe(true);
  });

  it('refuses other methods with 405', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await send(t.url, '/graphql', {
        method,
        headers: JSON_TYPE,
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST');
      expectCleanErrors(res.json, 'BAD_USER_INPUT');
    }
  });

  it('turns hostile text into clear errors, never an internal one', async () => {
    const alice = t.client();
    await registerUser(alice);
    const nul = await post(
      JSON.stringify({
        query: 'mutation($e: String!) { login(email: $e, password: "whatever1") { accessToken } }',
        variables: { e: 'a\u0000b@example.test' },
      }),
    );
    expect(nul.status).toBe(400);
    expectCleanErrors(nul.json, 'BAD_USER_INPUT');
    const nulInDocument = await post(
      JSON.stringify({
        query: `mutation { register(email: "n${uniqueEmail()}", password: "${TEST_PASSWORD}", displayName: "a\\u0000b") { user { id } } }`,
      }),
    );
    expect(nulInDocument.status).toBe(400);
    expectCleanErrors(nulInDocument.json, 'BAD_USER_INPUT');

    const notUtf8 = await post(
      Buffer.concat([
        Buffer.from('{"query":"{ me { id } }","variables":{"a":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}'),
      ]),
    );
    expect(notUtf8.status).toBe(400);
    expectCleanErrors(notUtf8.json, 'BAD_USER_INPUT');
    const latin1 = await post(JSON.stringify({ query: '{ me { id } }' }), {
      'content-type': 'application/json; charset=iso-8859-1',
    });
    expect(latin1.status).toBe(415);

    const huge = await post(JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(200_000)}` }));
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toMatch(/json/);
    expectCleanErrors(huge.json, 'BAD_USER_INPUT');

    const long = 'a'.repeat(50_000);
    for (const [query, variables] of [
      [
        'mutation($e: String!) { login(email: $e, password: "whatever1") { accessToken } }',
        { e: `${long}@example.test` },
      ],
      ['mutation($p: String!) { login(email: "x@example.test", password: $p) { accessToken } }', { p: long }],
      ['mutation($p: String!) { register(email: "long@example.test", password: $p) { accessToken } }', { p: long }],
      ['mutation($e: String!) { requestOtp(email: $e) }', { e: `${long}@example.test` }],
      ['mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', { t: long }],
    ] as const) {
      const res = await post(JSON.stringify({ query, variables }));
      expect(res.status, query).toBeLessThan(500);
      for (const e of res.json.errors ?? []) expect(e.extensions.code, query).not.toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(res.json)).not.toMatch(/stack|select |insert /i);
    }

    // A malformed session id is bad input; a well-formed one that is not yours is simply not yours.
    const malformed = await alice.gql('mutation { revokeSession(id: "x") }');
    expect(malformed.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    const revoke = await alice.gql('mutation { b: revokeSession(id: "00000000-0000-0000-0000-000000000000") }');
    expect(revoke.body).toEqual({ data: { b: false } });
  });

  it('hides an unexpected failure behind INTERNAL_SERVER_ERROR: no SQL, stack or token', async () => {
    const alice = t.client();
    await registerUser(alice, { displayName: 'Alice' });
    const { db } = t.server.services.database;
    await db.execute(sql`alter table profiles rename to profiles_away`);
    try {
      const res = await alice.gql('{ me { email profile { displayName } } }');
      expect(res.status).toBe(200);
      expect(res.body.errors![0].message).toBe('Internal server error');
      expectCleanErrors(res.body, 'INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(res.body)).not.toContain('profiles');
      expect(JSON.stringify(res.body)).not.toContain(alice.token!);
    } finally {
      await db.execute(sql`alter table profiles_away rename to profiles`);
    }
  });

  it('leaves introspection on in development', async () => {
    const res = await t.client().gql('{ __schema { queryType { name } } }');
    expect(res.body.data.__schema.queryType.name).toBe('Query');
  });
});

describe('GraphQL over HTTP in production', () => {
  const t = suiteServer(pglite, {
    env: { NODE_ENV: 'production', LATCHKEY_KEY_SECRET: 'a key-encryption secret for tests' },
  });

  it('turns introspection off', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "User") { fields { name } } }']) {
      const res = await t.client().gql(query);
      expect(res.status).toBe(400);
      expect(res.code).toBe('BAD_USER_INPUT');
      expect(res.body.data).toBeUndefined();
    }
    // __typename is not introspection of the schema: clients rely on it.
    expect((await t.client().gql('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });

  it('does not suggest field, argument or type names ("Did you mean …") that introspection would have shown', async () => {
    for (const query of [
      '{ mee { id } }',
      '{ me { emial } }',
      'mutation { logout(everywhre: true) }',
      'query($x: Strin) { me { id } }',
    ]) {
      const res = await t.client().gql(query);
      expect(res.code, query).toBe('BAD_USER_INPUT');
      for (const e of res.body.errors!) expect(e.message, query).not.toMatch(/Did you mean/);
    }
  });
});

describe('GraphQL over HTTP in development', () => {
  const t = suiteServer(pglite);

  it('suggests names, as graphql-js does', async () => {
    expect((await t.client().gql('{ mee { id } }')).body.errors![0].message).toMatch(/Did you mean "me"\?/);
  });
});
