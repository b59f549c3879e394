/** `latchkey tokens flush-expired`: delete expired refresh tokens, dead sessions and expired codes. */
import type { Config } from '../config.js';
import { unknownCommand, withServices } from './common.js';

export async function run(argv: string[], config: Config): Promise<string> {
  if (argv[1] !== 'flush-expired') throw unknownCommand(argv);
  return withServices(config, async ({ sessions, otp }) => {
    const n = await sessions.flushExpired();
    const codes = await otp.flushExpired();
    return `deleted ${n.refreshTokens} expired refresh token(s) and ${n.sessions} dead session(s); ${codes} expired one-time code(s)`;
  });
}
