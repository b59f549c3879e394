/** The object types of API.md §3, backed by the rows and results services return. */
import type { TokenInfo } from '../auth/tokenInfo.js';
import type { AuthResult } from '../auth/sessions.js';
import type { LiveSession, Profile, User } from '../auth/ports.js';
import { AuthError } from '../auth/errors.js';
import { builder, type GraphQLContext } from './builder.js';

export const ProfileType = builder.objectRef<Profile>('Profile').implement({
  fields: (t) => ({
    displayName: t.exposeString('displayName', { nullable: true }),
    bio: t.exposeString('bio', { nullable: true }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

/**
 * What a User is resolved from: its id, and its row when already at hand (login,
 * register, and `me`, which loads it with the profile in one query). Fields missing
 * from the ref are loaded through the per-request loader, once however many ask.
 */
export interface UserRef {
  id: string;
  user?: User;
  /** Undefined: not loaded yet (null: loaded, and the user has none). */
  profile?: Profile | null;
  /** The caller's own account, known without a bearer token (an auth payload's user). */
  self?: boolean;
}

/** A ref for a row the caller already has. */
export const userRef = (user: User): UserRef => ({ id: user.id, user });

async function load(ref: UserRef, ctx: GraphQLContext): Promise<{ user: User; profile: Profile | null }> {
  const found = await ctx.loaders.user.load(ref.id);
  if (!found) throw new AuthError('UNAUTHENTICATED');
  return { user: ref.user ?? found.user, profile: found.profile };
}

// The fields below answer at once, not with a promise, when the ref carries what they need:
// every promise a field returns costs GraphQL a microtask and the object a Promise.all.
const fromUser =
  <T>(pick: (user: User) => T) =>
  (ref: UserRef, _args: unknown, ctx: GraphQLContext): T | Promise<T> =>
    ref.user ? pick(ref.user) : load(ref, ctx).then(({ user }) => pick(user));

/** The user's profile, or an empty one dated from the account's creation. */
const profileOf = (user: User, profile: Profile | null): Profile =>
  profile ?? { userId: user.id, displayName: null, bio: null, avatarUrl: null, updatedAt: user.createdAt };

export const UserType = builder.objectRef<UserRef>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.string({ resolve: fromUser((u) => u.email) }),
    username: t.string({ nullable: true, resolve: fromUser((u) => u.username) }),
    emailVerified: t.boolean({ resolve: fromUser((u) => u.emailVerifiedAt !== null) }),
    createdAt: t.field({ type: 'DateTime', resolve: fromUser((u) => u.createdAt) }),
    lastLoginAt: t.field({ type: 'DateTime', nullable: true, resolve: fromUser((u) => u.lastLoginAt) }),
    profile: t.field({
      type: ProfileType,
      resolve: (ref, _args, ctx) =>
        ref.user && ref.profile !== undefined
          ? profileOf(ref.user, ref.profile)
          : load(ref, ctx).then(({ user, profile }) => profileOf(user, profile)),
    }),
  }),
});

export interface SessionView extends LiveSession {
  current: boolean;
}

export const SessionType = builder.objectRef<SessionView>('Session').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    current: t.exposeBoolean('current'),
    rememberMe: t.exposeBoolean('rememberMe'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime' }),
    // When the session ends if it is not used again: its refresh token's expiry (never past the absolute end).
    expiresAt: t.field({ type: 'DateTime', resolve: (s) => s.tokenExpiresAt }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    ip: t.exposeString('ip', { nullable: true }),
  }),
});

export interface AuthPayloadView extends AuthResult {
  user: UserRef;
  /** The refresh token if the server hands it to non-browser clients, else null. */
  exposedRefreshToken: string | null;
}

export const AuthPayloadType = builder.objectRef<AuthPayloadView>('AuthPayload').implement({
  fields: (t) => ({
    accessToken: t.exposeString('accessToken'),
    accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime' }),
    refreshTokenExpiresAt: t.expose('refreshTokenExpiresAt', { type: 'DateTime' }),
    refreshToken: t.exposeString('exposedRefreshToken', { nullable: true }),
    user: t.expose('user', { type: UserType }),
  }),
});

export const TokenInfoType = builder.objectRef<TokenInfo>('TokenInfo').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    tokenType: t.exposeString('tokenType', { nullable: true }),
    userId: t.exposeID('userId', { nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    reason: t.exposeString('reason', { nullable: true }),
  }),
});

export const ProfileInput = builder.inputType('ProfileInput', {
  fields: (t) => ({
    displayName: t.string({ required: false }),
    bio: t.string({ required: false }),
    avatarUrl: t.string({ required: false }),
  }),
});

export const OtpPurpose = builder.enumType('OtpPurpose', {
  values: ['LOGIN', 'VERIFY_EMAIL', 'PASSWORD_RESET'] as const,
});
