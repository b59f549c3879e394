/** All repositories over one database handle: what services are given. */
import type { Repositories } from '../../auth/ports.js';
import type { Executor } from '../db.js';
import { accountRepository } from './account.js';
import { adminRepository } from './admin.js';
import { auditRepository } from './audit.js';
import { challengesRepository } from './challenges.js';
import { factorsRepository } from './factors.js';
import { identitiesRepository } from './identities.js';
import { keysRepository } from './keys.js';
import { otpRepository } from './otp.js';
import { passkeysRepository } from './passkeys.js';
import { rolesRepository } from './roles.js';
import { sessionsRepository } from './sessions.js';
import { usersRepository } from './users.js';

export function repositories(db: Executor): Repositories {
  return {
    users: usersRepository(db),
    sessions: sessionsRepository(db),
    keys: keysRepository(db),
    audit: auditRepository(db),
    otp: otpRepository(db),
    challenges: challengesRepository(db),
    factors: factorsRepository(db),
    passkeys: passkeysRepository(db),
    identities: identitiesRepository(db),
    roles: rolesRepository(db),
    admin: adminRepository(db),
    account: accountRepository(db),
  };
}
