/** Session management for the signed-in user. */
import { builder } from './builder.js';
import { uuidArg } from './ids.js';
import { SessionType } from './types.js';

builder.queryFields((t) => ({
  mySessions: t.field({
    type: [SessionType],
    resolve: async (_root, _args, ctx) => {
      const viewer = await ctx.requireViewer();
      const live = await ctx.services.sessions.list(viewer.userId);
      return live.map((s) => ({ ...s, current: s.id === viewer.sessionId }));
    },
  }),
}));

builder.mutationFields((t) => ({
  revokeSession: t.boolean({
    description: "End one of the viewer's sessions. False when it is not theirs or already ended.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const viewer = await ctx.requireViewer();
      const id = uuidArg(args.id, 'id');
      const revoked = await ctx.services.sessions.revoke(id, {
        reason: 'revoked',
        meta: ctx.meta,
        userId: viewer.userId,
      });
      if (revoked && id === viewer.sessionId) ctx.refreshCookie.clear();
      return revoked;
    },
  }),
}));
