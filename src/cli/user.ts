/** `latchkey user …`: create, deactivate, reactivate, unlock and list users, and grant or take away roles. */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { noMeta } from '../auth/audit.js';
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import { UsageError, emailOption, options, unknownCommand, userByEmail, withServices } from './common.js';

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

export async function run(argv: string[], config: Config): Promise<string> {
  const [, sub, ...rest] = argv;
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
    const { values } = options(() => parseArgs({ args: rest, options: { search: { type: 'string' } }, strict: true }));
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
  throw unknownCommand(argv);
}
