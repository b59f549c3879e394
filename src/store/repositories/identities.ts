/** Identities at external providers (§9.1): one issuer + subject belongs to one account, ever. */
import { and, asc, eq } from 'drizzle-orm';
import type { IdentitiesRepository, IdentityRow } from '../../auth/ports.js';
import type { Executor } from '../db.js';
import { usersRepository } from './users.js';
import { identities } from '../schema.js';

/** Thrown inside the transaction to undo the new account when its identity is already taken. */
class IdentityTaken extends Error {}

export function identitiesRepository(db: Executor): IdentitiesRepository {
  return {
    async findBySubject(issuer, subject) {
      const rows = await db
        .select()
        .from(identities)
        .where(and(eq(identities.issuer, issuer), eq(identities.subject, subject)))
        .limit(1);
      return rows[0] as IdentityRow | undefined;
    },

    async listForUser(userId) {
      return (await db
        .select()
        .from(identities)
        .where(eq(identities.userId, userId))
        .orderBy(asc(identities.linkedAt))) as IdentityRow[];
    },

    async link(userId, identity) {
      const rows = await db
        .insert(identities)
        .values({ ...identity, userId })
        .onConflictDoNothing()
        .returning();
      return rows[0] ? { identity: rows[0] as IdentityRow } : { taken: true };
    },

    async createUserWithIdentity(input, identity) {
      try {
        return await db.transaction(async (tx) => {
          // The account as `register` makes it (user and empty profile), then its identity.
          const created = await usersRepository(tx).create(input);
          if ('taken' in created) return created;
          const { user } = created;
          const linked = await tx
            .insert(identities)
            .values({ ...identity, userId: user.id })
            .onConflictDoNothing()
            .returning();
          if (!linked[0]) throw new IdentityTaken();
          return { user, identity: linked[0] as IdentityRow };
        });
      } catch (e) {
        if (e instanceof IdentityTaken) return { taken: 'identity' } as const;
        throw e;
      }
    },

    async markUsed(id, at, email, emailVerified) {
      await db.update(identities).set({ lastUsedAt: at, email, emailVerified }).where(eq(identities.id, id));
    },

    async remove(userId, id) {
      const rows = await db
        .delete(identities)
        .where(and(eq(identities.id, id), eq(identities.userId, userId)))
        .returning({ id: identities.id });
      return rows.length > 0;
    },
  };
}
