/** The signed-in user: `me`, profile edits, password change. */
import { AuthError } from '../auth/errors.js';
import { builder } from './builder.js';
import { ProfileInput, ProfileType, UserType } from './types.js';

builder.queryFields((t) => ({
  me: t.field({
    type: UserType,
    nullable: true,
    resolve: async (_root, _args, ctx) => {
      const viewer = await ctx.viewer();
      if (!viewer) return null;
      const user = await ctx.services.accounts.findById(viewer.userId);
      return user?.isActive ? user : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  changePassword: t.boolean({
    args: {
      currentPassword: t.arg.string({ required: true }),
      newPassword: t.arg.string({ required: true }),
      signOutOtherSessions: t.arg.boolean({ defaultValue: true }),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = await ctx.requireViewer();
      await ctx.services.accounts.changePassword(
        viewer,
        { currentPassword: args.currentPassword, newPassword: args.newPassword, signOutOtherSessions: args.signOutOtherSessions ?? true },
        ctx.meta,
      );
      return true;
    },
  }),

  updateProfile: t.field({
    type: ProfileType,
    args: { input: t.arg({ type: ProfileInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const viewer = await ctx.requireViewer();
      const user = await ctx.services.accounts.findById(viewer.userId);
      if (!user?.isActive) throw new AuthError('UNAUTHENTICATED');
      return ctx.services.accounts.updateProfile(viewer.userId, args.input, ctx.meta);
    },
  }),
}));
