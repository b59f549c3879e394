/** The account's own (API.md §10.1): email change, deletion, export. */
import { builder } from './builder.js';
import { UserType, userRef } from './types.js';

builder.queryFields((t) => ({
  exportMyData: t.field({
    type: 'JSON',
    description: 'Everything stored about the caller, as JSON; secrets and hashes excepted.',
    resolve: async (_root, _args, ctx) => ctx.services.accountLife.exportMyData(await ctx.requireViewer(), ctx.meta),
  }),
}));

builder.mutationFields((t) => ({
  requestEmailChange: t.boolean({
    description: 'Needs a recent sign-in. Mails a code to the new address; EMAIL_TAKEN when another account has it.',
    args: { newEmail: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.accountLife.requestEmailChange(await ctx.requireViewer(), args.newEmail, ctx.meta),
  }),
  confirmEmailChange: t.field({
    type: UserType,
    description: 'The code mailed to the new address moves the account there; the old address is told; sessions stay.',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      userRef(await ctx.services.accountLife.confirmEmailChange(await ctx.requireViewer(), args.code, ctx.meta)),
  }),
  deleteAccount: t.boolean({
    description: 'Needs a recent sign-in. Everything of the account goes; every session ends at once; a mail confirms.',
    resolve: async (_root, _args, ctx) => {
      const done = await ctx.services.accountLife.deleteAccount(await ctx.requireViewer());
      ctx.refreshCookie.clear();
      return done;
    },
  }),
}));
