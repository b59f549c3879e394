/** The signed-in user: `me`, profile edits, password change. */
import { AuthError } from '../auth/errors.js';
import { FIRST_FACTOR_AMR } from '../auth/signIn.js';
import type { GraphQLResolveInfo } from 'graphql';
import { builder } from './builder.js';
import { ProfileInput, ProfileType, UserType } from './types.js';

/** True when the field's selection is plain fields named in `names` (fragments count as asking for more). */
export function asksOnlyFor(info: GraphQLResolveInfo, names: readonly string[]): boolean {
  return info.fieldNodes.every((node) =>
    (node.selectionSet?.selections ?? []).every((s) => s.kind === 'Field' && names.includes(s.name.value)),
  );
}

builder.queryFields((t) => ({
  me: t.field({
    type: UserType,
    nullable: true,
    resolve: async (_root, _args, ctx, info) => {
      const viewer = await ctx.viewer();
      if (!viewer) return null;
      // `{ me { id } }` asks nothing the verified, unrevoked token does not already say:
      // no query (deactivating a user revokes their sessions, so their tokens stop before here).
      if (asksOnlyFor(info, ['id', '__typename'])) return { id: viewer.userId };
      const found = await ctx.services.accounts.own(viewer.userId);
      return found?.user.isActive ? { id: found.user.id, ...found } : null;
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
        {
          currentPassword: args.currentPassword,
          newPassword: args.newPassword,
          signOutOtherSessions: args.signOutOtherSessions ?? true,
        },
        ctx.meta,
      );
      // The right current password is itself a recent sign-in (API.md §8.2.4).
      await ctx.services.reauth.renew(viewer, FIRST_FACTOR_AMR.password);
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
