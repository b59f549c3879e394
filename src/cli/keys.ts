/** `latchkey keys rotate [--now]`: new signing and refresh keys, the old ones kept for verifying. */
import { parseArgs } from 'node:util';
import { noMeta } from '../auth/audit.js';
import type { Config } from '../config.js';
import { options, unknownCommand, withServices } from './common.js';

export async function run(argv: string[], config: Config): Promise<string> {
  const [, sub, ...rest] = argv;
  if (sub !== 'rotate') throw unknownCommand(argv);
  const { values } = options(() => parseArgs({ args: rest, options: { now: { type: 'boolean' } }, strict: true }));
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
