/**
 * `latchkey <command>`: each command is a thin call into services.
 * Exit status 0 on success; non-zero with a one-line reason otherwise.
 *
 *   serve | migrate | user create --email E [--password P] | user deactivate --email E
 *   user list [--search S] | user reactivate --email E | user unlock --email E
 *   user role add|remove --email E ROLE
 *   sessions revoke --email E | tokens flush-expired | keys rotate [--now]
 *   webhooks list [--failed] [--limit N] | webhooks retry ID
 *
 * Each command group lives in a file of `cli/`; this file only dispatches to it.
 */
// Only what every command needs is imported here: the rest is loaded by the command that uses it,
// so `help` and a usage error answer without loading the database or the services.
import { UsageError, unknownCommand } from './cli/common.js';
import type { Config } from './config.js';

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

/** Errors whose message is the whole story (by name: their modules may not be loaded). */
const KNOWN = new Set(['ConfigError', 'StartupError', 'UsageError', 'AuthError', 'DatabaseInUseError']);

type CommandGroup = { run(argv: string[], config: Config): Promise<string | undefined> };

/** Each command group's module, imported only when that command runs. */
const COMMANDS = new Map<string, () => Promise<CommandGroup>>([
  ['serve', () => import('./cli/serve.js')],
  ['migrate', () => import('./cli/migrate.js')],
  ['user', () => import('./cli/user.js')],
  ['sessions', () => import('./cli/sessions.js')],
  ['tokens', () => import('./cli/tokens.js')],
  ['keys', () => import('./cli/keys.js')],
  ['webhooks', () => import('./cli/webhooks.js')],
]);

export async function run(argv: string[], config: Config): Promise<string | undefined> {
  const [command] = argv;
  if (command === undefined || command === 'help' || command === '--help') return usage;
  const group = COMMANDS.get(command);
  if (!group) throw unknownCommand(argv);
  return (await group()).run(argv, config);
}

/** One line on stderr and a non-zero status for anything that went wrong. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  try {
    const [command] = argv;
    if (command === undefined || command === 'help' || command === '--help') {
      console.log(usage);
      return;
    }
    if (!COMMANDS.has(command)) throw unknownCommand(argv);
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
