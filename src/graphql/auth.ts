/** Sign-up, sign-in, refresh, sign-out and token inspection. Each resolver calls a service. */
import { AuthError, isAuthError } from '../auth/errors.js';
import type { User } from '../auth/ports.js';
import type { AuthResult } from '../auth/sessions.js';
import { FIRST_FACTOR_AMR } from '../auth/signIn.js';
import { builder, type GraphQLContext } from './builder.js';
import { AuthPayloadType, TokenInfoType, userRef, type AuthPayloadView, type UserRef } from './types.js';

/** Set the refresh cookie and shape the payload. */
export function authPayload(ctx: GraphQLContext, result: AuthResult, user: UserRef): AuthPayloadView {
  ctx.refreshCookie.set(result);
  // The payload's user is the caller (its owner-only fields answer without a bearer token).
  return {
    ...result,
    user: { ...user, self: true },
    exposedRefreshToken: ctx.services.config.exposeRefreshToken ? result.refreshToken : null,
  };
}

/**
 * A user who just proved a factor goes through the sign-in pipeline (auth/signIn.ts): a new
 * session and its payload with the refresh cookie, or the pipeline's error (a second step is
 * needed) with neither. `method` names the factor for the audit row, `amr` its RFC 8176 methods.
 */
export async function signIn(
  ctx: GraphQLContext,
  user: User,
  rememberMe: boolean | null | undefined,
  method: string,
  amr: readonly string[],
): Promise<AuthPayloadView> {
  const result = await ctx.services.signIn.finish(user, {
    rememberMe: rememberMe ?? false,
    meta: ctx.meta,
    method,
    amr,
  });
  return authPayload(ctx, result, userRef({ ...user, lastLoginAt: result.signedInAt }));
}

builder.mutationFields((t) => ({
  register: t.field({
    type: AuthPayloadType,
    args: {
      email: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
      username: t.arg.string(),
      displayName: t.arg.string(),
      rememberMe: t.arg.boolean({ defaultValue: false }),
    },
    resolve: async (_root, args, ctx) => {
      const { accounts, emailCodes, config } = ctx.services;
      // REQUIRE_EMAIL_VERIFICATION: no session before the address is proven, and the same
      // answer for a taken address (its owner gets a note), so sign-up tells no one who has an account.
      const pending = config.requireEmailVerification;
      const user = await accounts.register(args, ctx.meta).catch(async (e) => {
        if (!pending || !isAuthError(e) || e.code !== 'EMAIL_TAKEN') throw e;
        await emailCodes.notifyTaken(args.email, ctx.meta);
        throw new AuthError('EMAIL_NOT_VERIFIED');
      });
      await emailCodes.sendVerification(user, ctx.meta);
      if (pending) throw new AuthError('EMAIL_NOT_VERIFIED');
      return signIn(ctx, user, args.rememberMe, 'register', FIRST_FACTOR_AMR.register);
    },
  }),

  login: t.field({
    type: AuthPayloadType,
    args: {
      email: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
      rememberMe: t.arg.boolean({ defaultValue: false }),
      code: t.arg.string({
        description: 'With REQUIRE_EMAIL_VERIFICATION: the VERIFY_EMAIL code mailed after EMAIL_NOT_VERIFIED.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const { accounts, emailCodes, config } = ctx.services;
      let user = await accounts.checkPassword(args.email, args.password, ctx.meta);
      if (config.requireEmailVerification && !user.emailVerifiedAt) {
        if (!args.code) {
          await emailCodes.requestVerification(user, ctx.meta);
          throw new AuthError('EMAIL_NOT_VERIFIED');
        }
        // The password and the mailbox proven together: the address is verified, the password kept.
        user = await emailCodes.verifyWithPassword(user, args.code, ctx.meta);
      }
      return signIn(ctx, user, args.rememberMe, 'password', FIRST_FACTOR_AMR.password);
    },
  }),

  refreshToken: t.field({
    type: AuthPayloadType,
    description: 'Rotate the refresh token given as the argument, else the one in the refresh cookie.',
    args: { refreshToken: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const presented = args.refreshToken ?? ctx.refreshCookie.read();
      if (!presented)
        throw new AuthError(
          'UNAUTHENTICATED',
          'No refresh token: send the refresh cookie or the refreshToken argument',
        );
      try {
        const result = await ctx.services.sessions.refresh(presented, ctx.meta);
        // The rotation checked the user is active; the row is loaded only if the query asks for it.
        return authPayload(ctx, result, { id: result.userId });
      } catch (e) {
        if (!args.refreshToken) ctx.refreshCookie.refused(e);
        throw e;
      }
    },
  }),

  logout: t.boolean({
    description:
      'End this session (found by the refresh cookie, else the bearer token) or, with everywhere, all of them.',
    args: { everywhere: t.arg.boolean({ defaultValue: false }) },
    resolve: async (_root, args, ctx) => {
      const { sessions } = ctx.services;
      const cookie = ctx.refreshCookie.read();
      ctx.refreshCookie.clear();
      const viewer = () => ctx.viewer().catch(() => null);
      if (args.everywhere) {
        // Ending every session takes a live one: a refresh token that could still refresh, or a
        // valid access token. Any genuine old token would otherwise be a permanent sign-out switch.
        const live = (cookie && (await sessions.liveSessionOfRefreshToken(cookie))) || (await viewer());
        return live ? (await sessions.revokeAll(live.userId, { reason: 'logout', meta: ctx.meta })) > 0 : false;
      }
      const owner = (cookie && (await sessions.sessionOfRefreshToken(cookie))) || (await viewer());
      if (!owner) return false;
      return sessions.revoke(owner.sessionId, { reason: 'logout', meta: ctx.meta, userId: owner.userId });
    },
  }),

  verifyToken: t.field({
    type: TokenInfoType,
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tokenInfo.inspect(args.token),
  }),
}));
