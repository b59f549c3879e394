/**
 * `latchkey <command>`: each command is a thin call into services.
 * Exit status 0 on success; non-zero with a one-line reason otherwise.
 *
 *   serve | migrate | user create --email E [--password P] | user deactivate --email E
 *   user list [--search S] | user reactivate --email E | user unlock --email E
 *   user role add|remove --email E ROLE
 *   sessions revoke --email E | tokens flush-expired | keys rotate [--now]
 *   webhooks list [--failed] [--limit N] | webhooks retry ID
 */
// Only what every command needs is imported here: the rest is loaded by the command that uses it,
// so `help` and a usage error answer without loading the database or the services.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { noMeta } from './auth/audit.js';
import { AuthError } from './auth/errors.js';
import type { Config } from './config.js';
import type { ServiceOptions, Services } from './services.js';

const usage = `usage: latchkey <command>
  serve                                 start the server (what npm start runs)
  migrate                               bring the database schema up to date
  user create --email E [--password P]  create a user (prompts for the password when omitted)
  user deactivate --email E             deactivate a user and end every session
  user reactivate --email E             let a deactivated user sign in again
  user unlock --email E                 clear the user's sign-in, code and second-factor limits
  user list [--search S]                list users, newest first (search: email, username, display name)
  user role add|remove --email E ROLE   grant or take away a role (admin: the administration API)
  sessions revoke --email E             sign a user out everywhere
  tokens flush-expired                  delete expired refresh tokens, dead sessions and expired codes
  keys rotate [--now]                   new signing and refresh keys; the signing key signs after KEY_ACTIVATION_DELAY (--now: at once)
  webhooks list [--failed] [--limit N]  webhook deliveries, newest first (--failed: those whose retries ran out)
  webhooks retry ID                     send a webhook again (a failed or pending one), with a fresh retry window`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** Errors whose message is the whole story (by name: their modules may not be loaded). */
const KNOWN = new Set(['ConfigError', 'StartupError', 'UsageError', 'AuthError', 'DatabaseInUseError']);

/** Run `fn` with services on the configured (already migrated) database, then close it. */
async function withServices<T>(
  config: Config,
  fn: (services: Services) => Promise<T>,
  options: Partial<ServiceOptions> = {},
): Promise<T> {
  const [{ openCheckedDatabase }, { createServices }] = await Promise.all([
    import('./store/open.js'),
    import('./services.js'),
  ]);
  const database = await openCheckedDatabase({ ...config, autoMigrate: false });
  let services: Services | undefined;
  try {
    // A one-shot process serves no requests: it needs no revoked set of its own.
    services = await createServices({ config, database, loadRevocations: false, commonPasswords: false, ...options });
    return await fn(services);
  } finally {
    await services?.close();
    await database.close();
  }
}

/** Run a parseArgs call; what it refuses (unknown option, missing value) is a usage error. */
function options<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function emailOption(args: string[]): string {
  const { values } = options(() => parseArgs({ args, options: { email: { type: 'string' } }, strict: true }));
  if (!values.email) throw new UsageError('--email is required');
  return values.email;
}

/** At a terminal, a prompt that does not echo; otherwise the first line of standard input (a pipe). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const { default: password } = await import('@inquirer/password');
    return password({ message: 'Password' }, { output: process.stderr });
  }
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    throw new UsageError('no password given: pass --password or type it on standard input');
  } finally {
    rl.close();
  }
}

async function userByEmail(accounts: Services['accounts'], email: string) {
  const user = await accounts.findByEmail(email);
  // Not a usage error: the same answer (and status) as `user deactivate` gives.
  if (!user) throw new AuthError('BAD_USER_INPUT', `No user with email ${email}`);
  return user;
}

/** Every user (or every match), newest first, one line each: id, email (display name), status. */
async function userList(admin: Services['admin'], search: string | null): Promise<string> {
  const lines: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await admin.users(null, { search, first: 100, after });
    for (const { node } of page.edges) {
      const name = node.profile?.displayName ? ` (${node.profile.displayName})` : '';
      lines.push(`${node.user.id}  ${node.user.email}${name}  ${node.user.isActive ? 'active' : 'deactivated'}`);
    }
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return lines.length ? lines.join('\n') : 'no users';
}

export async function run(argv: string[], config: Config): Promise<string | undefined> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'serve': {
      // Loaded here: the other commands never need the HTTP stack.
      const { handleSignals, startServer } = await import('./main.js');
      if (!process.stdout.isTTY) {
        handleSignals(await startServer(config));
        return undefined;
      }
      // A person at a terminal: plain lines, the facts they need first.
      const { humanLogStream, startupFacts } = await import('./terminal.js');
      const server = await startServer(config, { logStream: humanLogStream(process.stdout) });
      handleSignals(server);
      const webServed = server.app.hasRoute({ method: 'GET', url: '/index.html' });
      return startupFacts(config, process.env, server.url, webServed).join('\n');
    }
    case 'migrate': {
      const [{ openDatabase }, { migrate }, { describeEmailReport }] = await Promise.all([
        import('./store/db.js'),
        import('./store/migrate.js'),
        import('./store/canonicalEmails.js'),
      ]);
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const { applied, emails } = await migrate(database, { checkEmails: true });
        const problems = emails ? describeEmailReport(emails) : [];
        const converted = emails?.converted ? `; ${emails.converted} email(s) rewritten to their canonical form` : '';
        const status = applied ? `applied ${applied} migration(s); schema is current` : 'schema is already current';
        return [`${status}${converted}`, ...problems].join('\n');
      } finally {
        await database.close();
      }
    }
    case 'user': {
      if (sub === 'create') {
        const { values } = options(() =>
          parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' } }, strict: true }),
        );
        if (!values.email) throw new UsageError('--email is required');
        const password = values.password ?? (await readPassword());
        return withServices(
          config,
          async ({ accounts }) => {
            const user = await accounts.register({ email: values.email!, password }, noMeta);
            return `created user ${user.id} <${user.email}>`;
          },
          { commonPasswords: true },
        );
      }
      if (sub === 'deactivate') {
        const email = emailOption(rest);
        return withServices(config, async ({ accounts }) => {
          const user = await accounts.deactivate(email, noMeta);
          return `deactivated ${user.email}; every session ended`;
        });
      }
      if (sub === 'reactivate' || sub === 'unlock') {
        const email = emailOption(rest);
        return withServices(config, async ({ accounts, admin }) => {
          const user = await userByEmail(accounts, email);
          if (sub === 'unlock') {
            await admin.unlockUser(null, user.id, noMeta);
            // Without Redis each server counts in its own memory, which no other process can reach.
            return config.redisUrl
              ? `unlocked ${user.email}: its sign-in, code and second-factor limits are cleared on every instance`
              : `unlocked ${user.email} in the database only: without REDIS_URL each server keeps its limits in its own memory; use the unlockUser mutation (or restart the servers)`;
          }
          await admin.reactivateUser(null, user.id, noMeta);
          return `reactivated ${user.email}; they can sign in again`;
        });
      }
      if (sub === 'list') {
        const { values } = options(() =>
          parseArgs({ args: rest, options: { search: { type: 'string' } }, strict: true }),
        );
        return withServices(config, async ({ admin }) => userList(admin, values.search ?? null));
      }
      if (sub === 'role') {
        const [action, ...more] = rest;
        const { values, positionals } = options(() =>
          parseArgs({ args: more, options: { email: { type: 'string' } }, strict: true, allowPositionals: true }),
        );
        if ((action !== 'add' && action !== 'remove') || positionals.length !== 1)
          throw new UsageError('usage: latchkey user role add|remove --email E ROLE');
        if (!values.email) throw new UsageError('--email is required');
        const [role] = positionals;
        return withServices(config, async ({ admin }) => {
          const changed = await admin.changeRole(values.email!, role, action === 'add', noMeta);
          const done = action === 'add' ? `granted ${role} to` : `took ${role} from`;
          const already = action === 'add' ? `already has ${role}` : `did not have ${role}`;
          return `${changed ? done : 'nothing to do:'} ${values.email}${changed ? '' : ` ${already}`}; tokens carry it from the next refresh`;
        });
      }
      break;
    }
    case 'sessions': {
      if (sub === 'revoke') {
        const email = emailOption(rest);
        return withServices(config, async ({ accounts, sessions }) => {
          const user = await accounts.findByEmail(email);
          // Not a usage error: the same answer (and status) as `user deactivate` gives.
          if (!user) throw new AuthError('BAD_USER_INPUT', `No user with email ${email}`);
          const n = await sessions.revokeAll(user.id, { reason: 'admin', meta: noMeta });
          return `revoked ${n} session(s) of ${user.email}`;
        });
      }
      break;
    }
    case 'tokens': {
      if (sub === 'flush-expired') {
        return withServices(config, async ({ sessions, otp }) => {
          const n = await sessions.flushExpired();
          const codes = await otp.flushExpired();
          return `deleted ${n.refreshTokens} expired refresh token(s) and ${n.sessions} dead session(s); ${codes} expired one-time code(s)`;
        });
      }
      break;
    }
    case 'keys': {
      if (sub === 'rotate') {
        const { values } = options(() =>
          parseArgs({ args: rest, options: { now: { type: 'boolean' } }, strict: true }),
        );
        return withServices(config, async ({ keys, audit }) => {
          const { kid, refreshKid, retired, activatesAt } = await keys.rotate({ now: values.now });
          await audit.record('keys_rotated', null, noMeta, {
            kid,
            refreshKid,
            retired,
            activatesAt: activatesAt.toISOString(),
          });
          const when = values.now
            ? 'is active'
            : `is published; it signs from ${activatesAt.toISOString()} (KEY_ACTIVATION_DELAY)`;
          const access = kid
            ? `new signing key ${kid} ${when}`
            : 'access tokens stay signed with JWT_SECRET (change the setting to rotate it)';
          return `${access}; new refresh key ${refreshKid} is active; ${retired.length} old key(s) keep verifying until their tokens expire`;
        });
      }
      break;
    }
    case 'webhooks': {
      if (sub === 'list') {
        const { values } = options(() =>
          parseArgs({
            args: rest,
            options: { failed: { type: 'boolean' }, limit: { type: 'string' } },
            strict: true,
          }),
        );
        const limit = values.limit === undefined ? 50 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
          throw new UsageError('--limit must be a whole number from 1 to 10000');
        return withServices(config, async ({ webhookOutbox }) => {
          const { describeDelivery } = await import('./webhooks/describe.js');
          const rows = await webhookOutbox.list({ failed: values.failed ?? false, limit });
          if (!rows.length) return values.failed ? 'no failed webhooks' : 'no webhooks';
          return rows.map(describeDelivery).join('\n');
        });
      }
      if (sub === 'retry') {
        const [id, ...extra] = rest;
        if (!id || extra.length) throw new UsageError('usage: latchkey webhooks retry ID');
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
          throw new UsageError(`${id} is not a webhook id (a UUID, as \`latchkey webhooks list\` shows)`);
        return withServices(config, async ({ webhookOutbox }) => {
          if (!(await webhookOutbox.requeue(id)))
            throw new AuthError('BAD_USER_INPUT', `No undelivered webhook with id ${id}`);
          return `webhook ${id} queued again; a running server sends it within WEBHOOK_POLL_INTERVAL`;
        });
      }
      break;
    }
    case undefined:
    case 'help':
    case '--help':
      return usage;
  }
  throw new UsageError(`unknown command: ${argv.join(' ')} (\`latchkey help\` lists the commands)`);
}

const COMMANDS = new Set(['serve', 'migrate', 'user', 'sessions', 'tokens', 'keys', 'webhooks']);

/** One line on stderr and a non-zero status for anything that went wrong. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  try {
    const [command] = argv;
    if (command === undefined || command === 'help' || command === '--help') {
      console.log(usage);
      return;
    }
    if (!COMMANDS.has(command))
      throw new UsageError(`unknown command: ${argv.join(' ')} (\`latchkey help\` lists the commands)`);
    const { loadConfig } = await import('./config.js');
    const out = await run(argv, loadConfig(process.env));
    if (out) console.log(out);
  } catch (e) {
    const known = KNOWN.has((e as Error | null)?.name ?? '');
    // Not every throw is an Error (PGlite throws a plain { name, message, status }).
    const message = String((e as { message?: unknown } | null)?.message ?? e);
    console.error(`latchkey: ${known ? message : `error: ${message.split('\n')[0]}`}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
