/**
 * The references the Latchkey scenarios are measured against: bare Fastify routes
 * doing the least work the same request needs, on the same PostgreSQL database
 * through `pg` (same pool size as Latchkey). They take the very requests Latchkey
 * gets (POST, JSON body, bearer token or refresh cookie), so the ratio is the cost
 * of everything Latchkey does beyond that.
 *
 *   POST /hello    → {"data":{"me":{"id":…}}} from nothing at all (the ceiling for `verify`)
 *   POST /me       → the user + profile lookup of `me` (one named prepared statement), the
 *                    user id read from the token without checking it (no JWT verification,
 *                    no GraphQL)
 *   POST /refresh  → the writes of a rotation in one prepared statement: mark the presented
 *                    token used (guarded by used_at IS NULL) and insert its successor;
 *                    the refresh "token" is the bare jti in a cookie (no signing)
 *
 * Settings: DATABASE_URL, PORT, POOL_SIZE.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const app = Fastify({ logger: false });

/** The `sub` claim of a JWT, read without verifying it. */
function subjectOf(authorization: string | undefined): string | undefined {
  const payload = authorization?.split('.')[1];
  if (!payload) return undefined;
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: string }).sub;
}

app.post('/hello', async () => ({ data: { me: { id: 'hello' } } }));

app.post('/me', async (request, reply) => {
  const id = subjectOf(request.headers.authorization);
  if (!id) return reply.code(401).send({ errors: [{ message: 'no token' }] });
  // Prepared by name, as Latchkey's own `me` query is: PostgreSQL parses and plans it once per connection.
  const { rows } = await pool.query({
    name: 'me',
    text: 'select u.id, u.email, p.display_name from users u left join profiles p on p.user_id = u.id where u.id = $1',
    values: [id],
  });
  const row = rows[0];
  return { data: { me: row ? { id: row.id, email: row.email, profile: { displayName: row.display_name } } : null } };
});

app.post('/refresh', async (request, reply) => {
  const jti = /(?:^|;\s*)ref=([0-9a-f-]{36})/.exec(request.headers.cookie ?? '')?.[1];
  if (!jti) return reply.code(401).send({ errors: [{ message: 'no refresh token' }] });
  const next = randomUUID();
  // One named prepared statement, atomic on its own, as Latchkey's rotation is: one round trip.
  const rotated = await pool.query({
    name: 'rotate',
    text: `with used as (
             update refresh_tokens set used_at = now(), replaced_by = $2 where jti = $1 and used_at is null
             returning session_id)
           insert into refresh_tokens (jti, session_id, issued_at, expires_at)
           select $2, session_id, now(), now() + interval '1 day' from used`,
    values: [jti, next],
  });
  if (!rotated.rowCount) return reply.code(401).send({ errors: [{ message: 'token already used' }] });
  reply.header('set-cookie', `ref=${next}; Path=/; HttpOnly`);
  return { data: { refreshToken: { accessToken: 'none' } } };
});

app.get('/ready', async () => ({ ok: true }));

await app.listen({ port: Number(process.env.PORT ?? 4200), host: '127.0.0.1' });
process.once(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0)),
);
