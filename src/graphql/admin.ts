/**
 * Roles and administration (API.md §10.2): the admin queries and mutations (FORBIDDEN for
 * anyone but an active admin) and the User fields only admins or the user themself may read.
 */
import { AuthError } from '../auth/errors.js';
import type { AuditEventRow, UserListRow } from '../auth/accountPorts.js';
import type { Page } from '../auth/admin.js';
import { authenticatedAtOf } from '../auth/sessions.js';
import { builder, type GraphQLContext } from './builder.js';
import { uuidArg } from './ids.js';
import { SecurityType } from './security.js';
import { SessionType, type UserRef, UserType, userRef } from './types.js';

/** The caller's id after checking they are an admin (FORBIDDEN otherwise). */
const adminId = async (ctx: GraphQLContext): Promise<string> => {
  const viewer = await ctx.requireViewer();
  await ctx.services.admin.requireAdmin(viewer.userId);
  return viewer.userId;
};

/** One admin check per request, however many users' private fields a list asks for. */
const adminOfRequest = new WeakMap<GraphQLContext, Promise<boolean>>();

/** Roles, sessions, security, active: the user themself or an admin, else FORBIDDEN. */
async function requireOwnerOrAdmin(ref: UserRef, ctx: GraphQLContext): Promise<void> {
  if (ref.self) return;
  const viewer = await ctx.requireViewer();
  if (viewer.userId === ref.id) return;
  let check = adminOfRequest.get(ctx);
  if (!check) {
    check = ctx.services.admin.requireAdmin(viewer.userId).then(
      () => true,
      () => false,
    );
    adminOfRequest.set(ctx, check);
  }
  if (!(await check)) throw new AuthError('FORBIDDEN', 'Only an admin or the user themself may read this');
}

const PageInfoType = builder.objectRef<Page<unknown>['pageInfo']>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const UserEdgeType = builder.objectRef<{ cursor: string; node: UserListRow }>('UserEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({
      type: UserType,
      resolve: (e) => ({ id: e.node.user.id, user: e.node.user, profile: e.node.profile }),
    }),
  }),
});

const UserConnectionType = builder.objectRef<Page<UserListRow>>('UserConnection').implement({
  fields: (t) => ({
    edges: t.expose('edges', { type: [UserEdgeType] }),
    pageInfo: t.expose('pageInfo', { type: PageInfoType }),
  }),
});

const AuditEventType = builder.objectRef<AuditEventRow>('AuditEvent').implement({
  fields: (t) => ({
    id: t.id({ resolve: (e) => String(e.id) }),
    type: t.exposeString('type'),
    userId: t.exposeID('userId', { nullable: true }),
    actorId: t.exposeID('actorId', { nullable: true }),
    ip: t.exposeString('ip', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
    detail: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.detail ?? null }),
  }),
});

const AuditEventEdgeType = builder.objectRef<{ cursor: string; node: AuditEventRow }>('AuditEventEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.expose('node', { type: AuditEventType }),
  }),
});

const AuditEventConnectionType = builder.objectRef<Page<AuditEventRow>>('AuditEventConnection').implement({
  fields: (t) => ({
    edges: t.expose('edges', { type: [AuditEventEdgeType] }),
    pageInfo: t.expose('pageInfo', { type: PageInfoType }),
  }),
});

/** The user behind a ref, loaded once per request. */
const userOf = async (ref: UserRef, ctx: GraphQLContext) => {
  const user = ref.user ?? (await ctx.loaders.user.load(ref.id))?.user;
  if (!user) throw new AuthError('BAD_USER_INPUT', 'No such user', { field: 'id' });
  return user;
};

builder.objectFields(UserType, (t) => ({
  roles: t.stringList({
    description: 'Admins, or the user themself.',
    resolve: async (ref, _args, ctx) => {
      await requireOwnerOrAdmin(ref, ctx);
      return ctx.services.roles.of(ref.id);
    },
  }),
  isActive: t.boolean({
    description: 'Admins, or the user themself.',
    resolve: async (ref, _args, ctx) => {
      await requireOwnerOrAdmin(ref, ctx);
      return (await userOf(ref, ctx)).isActive;
    },
  }),
  sessions: t.field({
    type: [SessionType],
    description: 'Live sessions. Admins, or the user themself.',
    resolve: async (ref, _args, ctx) => {
      await requireOwnerOrAdmin(ref, ctx);
      const viewer = await ctx.viewer();
      const live = await ctx.services.sessions.list(ref.id);
      return live.map((s) => ({ ...s, current: s.id === viewer?.sessionId }));
    },
  }),
  security: t.field({
    type: SecurityType,
    description: 'Admins, or the user themself.',
    resolve: async (ref, _args, ctx) => {
      await requireOwnerOrAdmin(ref, ctx);
      const viewer = await ctx.viewer();
      if (viewer?.userId === ref.id) return ctx.services.security.overview(viewer);
      const [user, live] = await Promise.all([userOf(ref, ctx), ctx.services.sessions.list(ref.id)]);
      const newest = live.map((s) => authenticatedAtOf(s)).sort((a, b) => b.getTime() - a.getTime())[0];
      return ctx.services.security.overviewOf(ref.id, newest ?? user.lastLoginAt ?? user.createdAt);
    },
  }),
}));

builder.queryFields((t) => ({
  users: t.field({
    type: UserConnectionType,
    description: 'Admins only. Newest first; `search` matches email, username or display name (case-insensitive).',
    args: { search: t.arg.string(), first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: async (_root, args, ctx) => ctx.services.admin.users(await adminId(ctx), args),
  }),
  user: t.field({
    type: UserType,
    nullable: true,
    description: 'Admins only.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const actor = await adminId(ctx);
      const user = await ctx.services.admin.user(actor, uuidArg(args.id, 'id'));
      return user ? userRef(user) : null;
    },
  }),
  auditEvents: t.field({
    type: AuditEventConnectionType,
    description: 'Admins only. Newest first.',
    args: {
      userId: t.arg.id(),
      type: t.arg.string(),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) =>
      ctx.services.admin.auditEvents(await adminId(ctx), {
        ...args,
        userId: args.userId == null ? null : uuidArg(args.userId, 'userId'),
      }),
  }),
}));

builder.mutationFields((t) => ({
  setUserRoles: t.field({
    type: UserType,
    description: 'Admins only. Replaces the roles; the tokens carry them from the next refresh.',
    args: { id: t.arg.id({ required: true }), roles: t.arg.stringList({ required: true }) },
    resolve: async (_root, args, ctx) =>
      userRef(await ctx.services.admin.setUserRoles(await adminId(ctx), uuidArg(args.id, 'id'), args.roles, ctx.meta)),
  }),
  deactivateUser: t.field({
    type: UserType,
    description: 'Admins only. Every session of the user ends.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      userRef(await ctx.services.admin.deactivateUser(await adminId(ctx), uuidArg(args.id, 'id'), ctx.meta)),
  }),
  reactivateUser: t.field({
    type: UserType,
    description: 'Admins only.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      userRef(await ctx.services.admin.reactivateUser(await adminId(ctx), uuidArg(args.id, 'id'), ctx.meta)),
  }),
  unlockUser: t.boolean({
    description: "Admins only. Clears the account's sign-in, code and second-factor limits.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.admin.unlockUser(await adminId(ctx), uuidArg(args.id, 'id'), ctx.meta),
  }),
  revokeUserSessions: t.int({
    description: 'Admins only. Ends every session of the user; how many.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.admin.revokeUserSessions(await adminId(ctx), uuidArg(args.id, 'id'), ctx.meta),
  }),
  revokeUserSession: t.boolean({
    description: 'Admins only. Ends one session of any user; false when it was not live.',
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.services.admin.revokeUserSession(await adminId(ctx), uuidArg(args.sessionId, 'sessionId'), ctx.meta),
  }),
}));
