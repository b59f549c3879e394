/** What the command groups share: usage errors, option parsing, and services opened for one command. */
import { parseArgs } from 'node:util';
import { AuthError } from '../auth/errors.js';
import type { Config } from '../config.js';
import type { ServiceOptions, Services } from '../services.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const unknownCommand = (argv: string[]) =>
  new UsageError(`unknown command: ${argv.join(' ')} (\`latchkey help\` lists the commands)`);

/** Run `fn` with services on the configured (already migrated) database, then close it. */
export async function withServices<T>(
  config: Config,
  fn: (services: Services) => Promise<T>,
  options: Partial<ServiceOptions> = {},
): Promise<T> {
  // Loaded here, not at the top: `help` and a usage error must answer without the database or the services.
  const [{ openCheckedDatabase }, { createServices }] = await Promise.all([
    import('../store/open.js'),
    import('../services.js'),
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
export function options<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function emailOption(args: string[]): string {
  const { values } = options(() => parseArgs({ args, options: { email: { type: 'string' } }, strict: true }));
  if (!values.email) throw new UsageError('--email is required');
  return values.email;
}

export async function userByEmail(accounts: Services['accounts'], email: string) {
  const user = await accounts.findByEmail(email);
  // Not a usage error: the same answer (and status) as `user deactivate` gives.
  if (!user) throw new AuthError('BAD_USER_INPUT', `No user with email ${email}`);
  return user;
}
