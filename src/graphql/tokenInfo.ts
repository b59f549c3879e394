/**
 * `Query.tokenInfo(token)` (API.md §9.3): what `Mutation.verifyToken` answers, as a query,
 * so a service can ask over GET and tools that only send queries can use it. Both call
 * the one `tokenInfo.inspect`.
 */
import { builder } from './builder.js';
import { TokenInfoType } from './types.js';

builder.queryFields((t) => ({
  tokenInfo: t.field({
    type: TokenInfoType,
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tokenInfo.inspect(args.token),
  }),
}));
