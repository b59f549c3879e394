/** External providers (API.md §9.1): oauthProviders, startOAuth, unlinkIdentity, Identity, User/Security.identities. */
import type { IdentityRow } from '../auth/ports.js';
import { builder } from './builder.js';
import { SecurityType } from './security.js';
import { UserType } from './types.js';

const OAuthProviderType = builder.objectRef<{ id: string; name: string }>('OAuthProvider').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

export const IdentityType = builder.objectRef<IdentityRow>('Identity').implement({
  description: 'An account at an external provider linked to this one',
  fields: (t) => ({
    id: t.exposeID('id'),
    provider: t.exposeString('provider', { description: 'The provider id of OAUTH_PROVIDERS' }),
    email: t.exposeString('email', {
      nullable: true,
      description: 'The address the provider gave at the last sign-in',
    }),
    linkedAt: t.expose('linkedAt', { type: 'DateTime' }),
  }),
});

builder.objectField(UserType, 'identities', (t) =>
  t.field({
    type: [IdentityType],
    resolve: (user, _args, ctx) => ctx.services.oauth.identities(user.id),
  }),
);

builder.objectField(SecurityType, 'identities', (t) =>
  t.field({
    type: [IdentityType],
    resolve: (security, _args, ctx) => ctx.services.oauth.identities(security.userId),
  }),
);

builder.queryFields((t) => ({
  oauthProviders: t.field({
    type: [OAuthProviderType],
    description: 'The external providers people can sign in with (public)',
    resolve: (_root, _args, ctx) => ctx.services.oauth.list(),
  }),
}));

builder.mutationFields((t) => ({
  startOAuth: t.string({
    description: 'The authorization URL to send the browser to; sets a short-lived state cookie for the callback.',
    args: {
      provider: t.arg.id({ required: true }),
      next: t.arg.string(),
      rememberMe: t.arg.boolean({ defaultValue: false }),
      link: t.arg.boolean({ defaultValue: false }),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = args.link ? await ctx.requireViewer() : null;
      const { url, cookie } = await ctx.services.oauth.start(
        { provider: String(args.provider), next: args.next, rememberMe: args.rememberMe, link: args.link },
        viewer,
        ctx.meta,
      );
      ctx.oauthStateCookie.set(String(args.provider), cookie);
      return url;
    },
  }),
  unlinkIdentity: t.boolean({
    description: 'Recent sign-in; LAST_SIGN_IN_METHOD when it is the last way to sign in.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.oauth.unlink(await ctx.requireViewer(), String(args.id), ctx.meta),
  }),
}));
