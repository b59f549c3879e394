/**
 * Accounts: register, log in with a password, change the password, edit the
 * profile, deactivate. Input is validated here (the one place that knows the
 * rules) and bad input becomes AuthError('BAD_USER_INPUT') naming the field.
 *
 * @example
 *   const user = await accounts.register({ email, password }, meta);
 *   const found = await accounts.checkPassword(email, password, meta); // or INVALID_CREDENTIALS
 */
import type { Audit, RequestMeta } from './audit.js';
import type { Profile, Repositories, User } from './ports.js';
import type { Clock } from './clock.js';
import { canonicalEmail } from './email.js';
import { AuthError } from './errors.js';
import { type Limits, noLimits } from './limits.js';
import type { PasswordPolicy } from './passwordPolicy.js';
import { PASSWORD_MAX, dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import type { Sessions } from './sessions.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents } from './webhooks.js';
import { createUserCache, type UserCache } from './userCache.js';

export interface RegisterInput {
  email: string;
  password: string;
  username?: string | null;
  displayName?: string | null;
}

export interface ProfileInput {
  displayName?: string | null;
  bio?: string | null;
  avatarUrl?: string | null;
}

const invalid = (field: string, message: string) => new AuthError('BAD_USER_INPUT', message, { field });

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

// Control characters: none in a one-line field (a name shown in a header), only line breaks and tabs in a text.
// One-line fields also refuse format characters (\p{Cf}: bidi overrides and isolates, zero-width
// spaces and joiners): a display name must not reorder or hide the text shown next to it.
const CONTROL = { line: /[\p{Cc}\p{Cf}]/u, text: /[^\P{Cc}\n\r\t]/u };

function optionalText(
  value: string | null | undefined,
  field: string,
  max: number,
  kind: keyof typeof CONTROL = 'line',
): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const v = value.trim();
  if (v.length > max) throw invalid(field, `${field} must be at most ${max} characters`);
  if (CONTROL[kind].test(v)) {
    throw invalid(
      field,
      kind === 'line'
        ? `${field} must not contain control, bidi or zero-width characters`
        : `${field} must not contain control characters`,
    );
  }
  return v === '' ? null : v;
}

function avatarUrl(value: string | null | undefined): string | null | undefined {
  const v = optionalText(value, 'avatarUrl', 2048);
  if (!v) return v;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid('avatarUrl', 'Avatar URL must be an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid('avatarUrl', 'Avatar URL must be an http(s) URL');
  return url.toString();
}

interface Deps {
  repos: Pick<Repositories, 'users' | 'otp'>;
  sessions: Sessions;
  audit: Audit;
  clock: Clock;
  /** Login and sign-up limits (none when omitted). */
  limits?: Limits;
  /** Rules for new passwords. */
  passwords: PasswordPolicy;
  /** Where changes write their webhook events (none when omitted). */
  transactions?: Transactions;
  /** Keeps the signed-in user's own account for `me` (none when omitted: every call reads the database). */
  userCache?: UserCache;
}

/** A user as webhook events describe it: no password hash, nothing secret. */
export const webhookUser = (user: User) => ({
  userId: user.id,
  email: user.email,
  username: user.username,
  emailVerified: user.emailVerifiedAt !== null,
  createdAt: user.createdAt.toISOString(),
});

export function createAccounts({
  repos,
  sessions,
  audit,
  clock,
  limits = noLimits,
  passwords,
  transactions,
  userCache = createUserCache(0),
}: Deps) {
  const now = () => new Date(clock.now());
  const checkNew = (password: string, field?: string) => passwords.check(password, field);

  /**
   * Deactivate `user` (user.deactivated in the same transaction when it was active), end every
   * session, and audit it naming the admin who did it (null: the command line).
   */
  const deactivateAccount = async (user: User, meta: RequestMeta, actorId: string | null): Promise<void> => {
    await changeWithEvents(
      transactions,
      repos,
      (r) => r.users.setActive(user.id, false),
      () => (user.isActive ? [['user.deactivated', { userId: user.id, email: user.email }]] : []),
    );
    await sessions.revokeAll(user.id, { reason: 'deactivated', meta, actorId });
    await audit.record('user_deactivated', user.id, meta, undefined, actorId);
  };

  return {
    async register(input: RegisterInput, meta: RequestMeta): Promise<User> {
      await limits.take('registerIp', meta.ip, meta);
      const email = canonicalEmail(input.email);
      checkNew(input.password);
      const username = optionalText(input.username, 'username', 32);
      if (username && !USERNAME.test(username)) {
        throw invalid('username', 'Username must be 3–32 letters, digits, dots, dashes or underscores');
      }
      const displayName = optionalText(input.displayName, 'displayName', 100);
      const passwordHash = await hashPassword(input.password);
      const created = await changeWithEvents(
        transactions,
        repos,
        (r) => r.users.create({ email, username, displayName, passwordHash, createdAt: now() }),
        (result) => ('user' in result ? [['user.created', { ...webhookUser(result.user), displayName }]] : []),
      );
      if ('taken' in created) {
        if (created.taken === 'email') throw new AuthError('EMAIL_TAKEN');
        throw new AuthError('BAD_USER_INPUT', 'That username is taken', { field: 'username' });
      }
      await audit.record('register', created.user.id, meta);
      return created.user;
    },

    /**
     * The user whose email and password these are, or INVALID_CREDENTIALS —
     * the same answer, text and argon2 work for an unknown email, a wrong
     * password and a deactivated account.
     *
     * Failures are counted per account and per address (RATE_LIMITED once either
     * is spent, before any argon2 work); a success clears the account's count.
     */
    async checkPassword(emailInput: string, password: string, meta: RequestMeta): Promise<User> {
      await limits.take('loginIp', meta.ip, meta);
      // Every spelling of an address is one account and so one counter.
      const email = canonicalEmail(emailInput);
      await limits.take('loginAccount', email, meta);
      const user = password.length <= PASSWORD_MAX * 4 ? await repos.users.findByEmail(email) : undefined;
      const ok = await verifyPassword(user?.passwordHash ?? dummyHash(), password);
      if (!user || !ok || !user.isActive) {
        await audit.record('login_failed', user?.id ?? null, meta, {
          reason: !user ? 'unknown_email' : !ok ? 'wrong_password' : 'inactive',
        });
        throw new AuthError('INVALID_CREDENTIALS');
      }
      await limits.reset('loginAccount', email);
      await limits.forgive('loginIp', meta.ip);
      if (needsRehash(user.passwordHash!))
        await repos.users.setPasswordHash(user.id, await hashPassword(password), null);
      return user;
    },

    async changePassword(
      viewer: { userId: string; sessionId: string },
      input: { currentPassword: string; newPassword: string; signOutOtherSessions: boolean },
      meta: RequestMeta,
    ): Promise<void> {
      const user = await repos.users.findById(viewer.userId);
      if (!user?.isActive) throw new AuthError('UNAUTHENTICATED');
      // A stolen access token must not become a way around the login limit: same counter.
      await limits.take('loginAccount', user.email, meta, user.id);
      if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
        await audit.record('login_failed', user.id, meta, { reason: 'wrong_current_password' });
        throw new AuthError('INVALID_CREDENTIALS', 'Current password is wrong');
      }
      await limits.reset('loginAccount', user.email);
      checkNew(input.newPassword, 'newPassword');
      const hash = await hashPassword(input.newPassword);
      await changeWithEvents(
        transactions,
        repos,
        async (r) => {
          await r.users.setPasswordHash(user.id, hash, now());
          // A code mailed before the change must not undo it (a reset code asked by whoever had the old password).
          await r.otp.invalidateAll(user.id, user.email, now());
        },
        () => [['password.changed', { userId: user.id, method: 'change' }]],
      );
      await audit.record('password_changed', user.id, meta);
      if (input.signOutOtherSessions) {
        await sessions.revokeAll(user.id, { reason: 'password_changed', meta, exceptSessionId: viewer.sessionId });
      }
    },

    async updateProfile(userId: string, input: ProfileInput, meta: RequestMeta): Promise<Profile> {
      const patch = {
        displayName: optionalText(input.displayName, 'displayName', 100),
        bio: optionalText(input.bio, 'bio', 1000, 'text'),
        avatarUrl: avatarUrl(input.avatarUrl),
      };
      const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const profile = await repos.users.updateProfile(userId, set, now());
      await audit.record('profile_updated', userId, meta, { fields: Object.keys(set) });
      return profile;
    },

    /** Deactivate a user and end every session (the CLI, by address). */
    async deactivate(email: string, meta: RequestMeta): Promise<User> {
      const user = await repos.users.findByEmail(canonicalEmail(email));
      if (!user) throw new AuthError('BAD_USER_INPUT', `No user with email ${email}`, { field: 'email' });
      await deactivateAccount(user, meta, null);
      return user;
    },

    deactivateAccount,

    findById: (id: string) => repos.users.findById(id),
    /** Users with their profiles, one query for any number of ids (the per-request loader's batch). */
    withProfiles: (ids: readonly string[]) => repos.users.withProfiles(ids),
    /** The signed-in user's own account and profile (`me`), through the user cache. */
    own: (userId: string) => userCache.get(userId, async (id) => (await repos.users.withProfiles([id]))[0]),
    findByEmail: (email: string) => repos.users.findByEmail(canonicalEmail(email)),
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
