/** The object types of API.md §3, backed by the rows and results services return. */
import type { TokenInfo } from '../auth/sessions.js';
import type { AuthResult } from '../auth/sessions.js';
import type { LiveSession } from '../store/repositories/sessions.js';
import type { ProfileRow, UserRow } from '../store/repositories/users.js';
import { builder } from './builder.js';

export const ProfileType = builder.objectRef<ProfileRow>('Profile').implement({
  fields: (t) => ({
    displayName: t.exposeString('displayName', { nullable: true }),
    bio: t.exposeString('bio', { nullable: true }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const UserType = builder.objectRef<UserRow>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    username: t.exposeString('username', { nullable: true }),
    emailVerified: t.boolean({ resolve: (u) => u.emailVerifiedAt !== null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastLoginAt: t.expose('lastLoginAt', { type: 'DateTime', nullable: true }),
    profile: t.field({
      type: ProfileType,
      // Batched per request: one query for any number of users.
      resolve: async (u, _args, ctx) =>
        (await ctx.loaders.profile.load(u.id)) ?? { userId: u.id, displayName: null, bio: null, avatarUrl: null, updatedAt: u.createdAt },
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
  user: UserRow;
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

export const OtpPurpose = builder.enumType('OtpPurpose', { values: ['LOGIN', 'VERIFY_EMAIL', 'PASSWORD_RESET'] as const });
