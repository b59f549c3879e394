/** Second factors of the signed-in account (API.md §8.1): mySecurity, TOTP, recovery codes, passkeys. */
import { valueFromASTUntyped } from 'graphql';
import { deviceName } from '../auth/deviceName.js';
import type { PasskeyRow } from '../auth/factorPorts.js';
import { builder, type GraphQLContext } from './builder.js';

builder.scalarType('JSON', {
  description: 'A JSON value: WebAuthn options and responses, as the *JSON types of WebAuthn Level 3',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => valueFromASTUntyped(ast),
});

export const PasskeyType = builder.objectRef<PasskeyRow>('Passkey').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    backedUp: t.exposeBoolean('backedUp'),
  }),
});

export interface SecurityView {
  /** Whose overview it is: the fields other areas add (identities) resolve from it. */
  userId: string;
  passwordSet: boolean;
  totpEnabled: boolean;
  recoveryCodesLeft: number;
  passkeys: PasskeyRow[];
  lastAuthenticatedAt: Date;
}

export const SecurityType = builder.objectRef<SecurityView>('Security').implement({
  fields: (t) => ({
    passwordSet: t.exposeBoolean('passwordSet'),
    totpEnabled: t.exposeBoolean('totpEnabled'),
    recoveryCodesLeft: t.exposeInt('recoveryCodesLeft'),
    passkeys: t.expose('passkeys', { type: [PasskeyType] }),
    lastAuthenticatedAt: t.expose('lastAuthenticatedAt', { type: 'DateTime' }),
  }),
});

const TotpEnrollmentType = builder
  .objectRef<{ secret: string; otpauthUri: string; qrSvg: string }>('TotpEnrollment')
  .implement({
    fields: (t) => ({
      secret: t.exposeString('secret'),
      otpauthUri: t.exposeString('otpauthUri'),
      qrSvg: t.exposeString('qrSvg'),
    }),
  });

const RecoveryCodesType = builder.objectRef<{ codes: string[] }>('RecoveryCodes').implement({
  fields: (t) => ({ codes: t.exposeStringList('codes') }),
});

/** The enrolling account: the bearer token's (with a recent sign-in), or the enrolment challenge's. */
const enrollee = async (ctx: GraphQLContext, challenge: string | null | undefined) =>
  ctx.services.security.enrollee(challenge == null ? await ctx.requireViewer() : null, challenge);

builder.queryFields((t) => ({
  mySecurity: t.field({
    type: SecurityType,
    resolve: async (_root, _args, ctx) => ctx.services.security.overview(await ctx.requireViewer()),
  }),
}));

builder.mutationFields((t) => ({
  startTotpEnrollment: t.field({
    type: TotpEnrollmentType,
    args: { challenge: t.arg.string() },
    resolve: async (_root, args, ctx) => ctx.services.security.startTotp(await enrollee(ctx, args.challenge)),
  }),
  confirmTotpEnrollment: t.field({
    type: RecoveryCodesType,
    args: { code: t.arg.string({ required: true }), challenge: t.arg.string() },
    resolve: async (_root, args, ctx) => ({
      codes: await ctx.services.security.confirmTotp(await enrollee(ctx, args.challenge), args.code, ctx.meta),
    }),
  }),
  disableTotp: t.boolean({
    resolve: async (_root, _args, ctx) => ctx.services.security.disableTotp(await ctx.requireViewer(), ctx.meta),
  }),
  regenerateRecoveryCodes: t.field({
    type: RecoveryCodesType,
    resolve: async (_root, _args, ctx) => ({
      codes: await ctx.services.security.regenerateRecoveryCodes(await ctx.requireViewer(), ctx.meta),
    }),
  }),
  startPasskeyRegistration: t.field({
    type: 'JSON',
    args: { challenge: t.arg.string() },
    resolve: async (_root, args, ctx) => ctx.services.security.passkeyOptions(await enrollee(ctx, args.challenge)),
  }),
  finishPasskeyRegistration: t.field({
    type: PasskeyType,
    args: { response: t.arg({ type: 'JSON', required: true }), name: t.arg.string(), challenge: t.arg.string() },
    resolve: async (_root, args, ctx) =>
      ctx.services.security.addPasskey(
        await enrollee(ctx, args.challenge),
        args.response,
        args.name ?? deviceName(ctx.meta.userAgent),
        ctx.meta,
      ),
  }),
  renamePasskey: t.field({
    type: PasskeyType,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.security.renamePasskey(await ctx.requireViewer(), String(args.id), args.name, ctx.meta),
  }),
  removePasskey: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.security.removePasskey(await ctx.requireViewer(), String(args.id), ctx.meta),
  }),
}));
