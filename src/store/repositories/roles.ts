/** Roles granted to accounts (user_roles). */
import { and, asc, eq, notInArray, sql } from 'drizzle-orm';
import type { RolesStore } from '../../auth/accountPorts.js';
import type { Executor } from '../db.js';
import { userRoles } from '../schema.js';

export function rolesRepository(db: Executor): RolesStore {
  // Every sign-in reads them (they travel in the access token): built once, prepared by name on each connection.
  const rolesOf = db
    .select({ role: userRoles.role })
    .from(userRoles)
    .where(eq(userRoles.userId, sql.placeholder('userId')))
    .orderBy(asc(userRoles.role))
    .prepare('latchkey_roles_of');

  return {
    async of(userId) {
      const rows = await rolesOf.execute({ userId });
      return rows.map((r) => r.role);
    },

    async set(userId, roles, grantedBy, at) {
      return db.transaction(async (tx) => {
        const removed = await tx
          .delete(userRoles)
          .where(and(eq(userRoles.userId, userId), roles.length ? notInArray(userRoles.role, [...roles]) : undefined))
          .returning({ role: userRoles.role });
        const added = roles.length
          ? await tx
              .insert(userRoles)
              .values(roles.map((role) => ({ userId, role, grantedAt: at, grantedBy })))
              .onConflictDoNothing()
              .returning({ role: userRoles.role })
          : [];
        return { added: added.map((r) => r.role).sort(), removed: removed.map((r) => r.role).sort() };
      });
    },

    async grant(userId, role, grantedBy, at) {
      const rows = await db
        .insert(userRoles)
        .values({ userId, role, grantedAt: at, grantedBy })
        .onConflictDoNothing()
        .returning({ role: userRoles.role });
      return rows.length > 0;
    },

    async revoke(userId, role) {
      const rows = await db
        .delete(userRoles)
        .where(and(eq(userRoles.userId, userId), eq(userRoles.role, role)))
        .returning({ role: userRoles.role });
      return rows.length > 0;
    },
  };
}
