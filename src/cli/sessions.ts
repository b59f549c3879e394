/** `latchkey sessions revoke`: sign a user out everywhere. */
import { noMeta } from '../auth/audit.js';
import type { Config } from '../config.js';
import { emailOption, unknownCommand, userByEmail, withServices } from './common.js';

export async function run(argv: string[], config: Config): Promise<string> {
  const [, sub, ...rest] = argv;
  if (sub !== 'revoke') throw unknownCommand(argv);
  const email = emailOption(rest);
  return withServices(config, async ({ accounts, sessions }) => {
    const user = await userByEmail(accounts, email);
    const n = await sessions.revokeAll(user.id, { reason: 'admin', meta: noMeta });
    return `revoked ${n} session(s) of ${user.email}`;
  });
}
