/** One-time codes by mail: request one, sign in with one, confirm the email address, reset the password. */
import { FIRST_FACTOR_AMR } from '../auth/signIn.js';
import { signIn } from './auth.js';
import { builder } from './builder.js';
import { AuthPayloadType, OtpPurpose, UserType, userRef } from './types.js';

builder.mutationFields((t) => ({
  requestOtp: t.boolean({
    description:
      'Mail a one-time code to this address if it has an account. Always true: the answer never tells whether it has one.',
    args: {
      email: t.arg.string({ required: true }),
      purpose: t.arg({ type: OtpPurpose, defaultValue: 'LOGIN' }),
    },
    resolve: (_root, args, ctx) => ctx.services.emailCodes.request(args.email, args.purpose ?? 'LOGIN', ctx.meta),
  }),

  verifyOtp: t.field({
    type: AuthPayloadType,
    description: 'Sign in with a LOGIN code. Creates no account.',
    args: {
      email: t.arg.string({ required: true }),
      code: t.arg.string({ required: true }),
      rememberMe: t.arg.boolean({ defaultValue: false }),
    },
    resolve: async (_root, args, ctx) => {
      const user = await ctx.services.emailCodes.login(args.email, args.code, ctx.meta);
      return signIn(ctx, user, args.rememberMe, 'otp', FIRST_FACTOR_AMR.otp);
    },
  }),

  verifyEmail: t.field({
    type: UserType,
    description: "Confirm the signed-in user's email address with a VERIFY_EMAIL code.",
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const viewer = await ctx.requireViewer();
      const user = await ctx.services.emailCodes.verifyEmail(viewer.userId, args.code, ctx.meta);
      // A proven address in ADMIN_EMAILS is an admin from now on (API.md §7).
      await ctx.services.roles.proven(user);
      return userRef(user);
    },
  }),

  resetPassword: t.boolean({
    description: 'Set a new password with a PASSWORD_RESET code. Every session of the account ends.',
    args: {
      email: t.arg.string({ required: true }),
      code: t.arg.string({ required: true }),
      newPassword: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      await ctx.services.emailCodes.resetPassword(args.email, args.code, args.newPassword, ctx.meta);
      return true;
    },
  }),
}));
