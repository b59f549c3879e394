/**
 * The sign-in steps of API.md §8: a passkey as the only factor, the second step after a first
 * factor (`completeSignIn`), and `reauthenticate`. Sessions are opened only by the one
 * pipeline (auth/signIn.ts), through `signIn` here or `secondStep.complete`.
 */
import { AuthError } from '../auth/errors.js';
import { authPayload, signIn } from './auth.js';
import { builder } from './builder.js';
import { AuthPayloadType, userRef } from './types.js';

builder.mutationFields((t) => ({
  startPasskeySignIn: t.field({
    type: 'JSON',
    description: 'Options for navigator.credentials.get. Without an email: discoverable credentials (autofill).',
    args: { email: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const user = args.email == null ? undefined : await ctx.services.accounts.findByEmail(args.email);
      return ctx.services.passkeys.signInOptions(user?.isActive ? user : undefined);
    },
  }),

  finishPasskeySignIn: t.field({
    type: AuthPayloadType,
    args: { response: t.arg({ type: 'JSON', required: true }), rememberMe: t.arg.boolean({ defaultValue: false }) },
    resolve: async (_root, args, ctx) => {
      const { userId, amr } = await ctx.services.passkeys.signIn(args.response, ctx.meta);
      const user = await ctx.services.accounts.findById(userId);
      // A passkey of a deactivated account signs nobody in.
      if (!user?.isActive) throw new AuthError('PASSKEY_INVALID');
      return signIn(ctx, user, args.rememberMe, 'passkey', amr);
    },
  }),

  completeSignIn: t.field({
    type: AuthPayloadType,
    description:
      'The second step: the challenge of SECOND_FACTOR_REQUIRED and one of totpCode, recoveryCode, passkeyResponse.',
    args: {
      challenge: t.arg.string({ required: true }),
      totpCode: t.arg.string(),
      recoveryCode: t.arg.string(),
      passkeyResponse: t.arg({ type: 'JSON' }),
    },
    resolve: async (_root, { challenge, ...proof }, ctx) => {
      const { signedIn, user } = await ctx.services.secondStep.complete(challenge, proof, ctx.meta);
      return authPayload(ctx, signedIn, userRef({ ...user, lastLoginAt: signedIn.signedInAt }));
    },
  }),

  startSecondFactorPasskey: t.field({
    type: 'JSON',
    args: { challenge: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.secondStep.passkeyOptions(args.challenge),
  }),

  reauthenticate: t.field({
    type: AuthPayloadType,
    description: "Renew this session's last real sign-in with one factor (emailCode: from requestOtp(purpose: LOGIN)).",
    args: {
      password: t.arg.string(),
      totpCode: t.arg.string(),
      passkeyResponse: t.arg({ type: 'JSON' }),
      emailCode: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = await ctx.requireViewer();
      const result = await ctx.services.reauth.reauthenticate(viewer, args, ctx.meta);
      return authPayload(ctx, result, { id: viewer.userId });
    },
  }),

  startReauthPasskey: t.field({
    type: 'JSON',
    resolve: async (_root, _args, ctx) => ctx.services.reauth.passkeyOptions(await ctx.requireViewer()),
  }),
}));
