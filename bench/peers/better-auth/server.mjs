/**
 * better-auth 1.x on node:http with its PostgreSQL adapter (a pg Pool), for the
 * peer scenarios of `npm run bench`. Settings come from the environment:
 *   DATABASE_URL     its own database (the schema is applied with getMigrations() at start;
 *                    better-auth's CLI needs Node 22)
 *   PORT             where it listens on 127.0.0.1
 *   COOKIE_CACHE     "on" signs the session into a second cookie (session_data), checked without a query
 *   BETTER_AUTH_SECRET
 * Its defaults otherwise: email + password with scrypt. Its rate limiter is off (ours is
 * raised for the bench too), telemetry off.
 */
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import pg from 'pg';

const port = Number(process.env.PORT ?? 4100);
const options = {
  database: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }),
  baseURL: `http://127.0.0.1:${port}`,
  secret: process.env.BETTER_AUTH_SECRET,
  emailAndPassword: { enabled: true },
  session: { cookieCache: { enabled: process.env.COOKIE_CACHE === 'on', maxAge: 60 * 60 } },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { level: 'error' },
};

const { runMigrations } = await getMigrations(options);
await runMigrations();

const auth = betterAuth(options);
const server = createServer(toNodeHandler(auth));
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => console.log(`better-auth listening on ${port}`));
process.once('SIGTERM', () => server.close(() => options.database.end().then(() => process.exit(0))));
