/**
 * `@latchkey/client`: keep people signed in to a Latchkey-backed app.
 *
 * @example
 *   import { createLatchkeyClient } from '@latchkey/client';
 *   const latchkey = createLatchkeyClient({ url: '' });
 *   const state = await latchkey.ready();
 */
export { createLatchkeyClient } from './client.js';
export type { LatchkeyClient, LatchkeyClientOptions, SessionState, SignOutReason } from './client.js';
export { LatchkeyError } from './errors.js';
export type { Identity, OAuthProvider } from './externalProviders.js';
export type { Passkey, SecondFactorMethod, Security, SignInResult } from './secondFactors.js';
export type {
  AccountMethods,
  AdminUser,
  AdminUserDetail,
  AuditEvent,
  Connection,
  PageInfo,
  UserSession,
} from './accounts.js';
export type { CurrentUser, OwnAccountMethods, Profile, ProfileInput, TokenInfo } from './ownAccount.js';
export type { LatchkeyUser } from './user.js';
export type { Fetch } from './transport.js';
