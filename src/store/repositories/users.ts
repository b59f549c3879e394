/** Users and profiles. Emails arrive in their canonical form (src/auth/email.ts) and are matched exactly. */
import { eq, inArray, sql } from 'drizzle-orm';
import type { NewUser, Profile, ProfilePatch, User, UserWithProfile, UsersRepository } from '../../auth/ports.js';
import type { Executor } from '../db.js';
import { profiles, users } from '../schema.js';

export function usersRepository(db: Executor): UsersRepository {
  // Built once and prepared by name on each connection: `me` runs it on every request.
  const withProfileById = db
    .select({ user: users, profile: profiles })
    .from(users)
    .leftJoin(profiles, eq(profiles.userId, users.id))
    .where(eq(users.id, sql.placeholder('id')))
    .prepare('latchkey_user_with_profile');
  // Every sign-in starts by finding the user by email (the stamp is part of the sign-in statement).
  const byEmail = db
    .select()
    .from(users)
    .where(eq(users.email, sql.placeholder('email')))
    .limit(1)
    .prepare('latchkey_user_by_email');

  return {
    /** Insert a user and an empty profile in one transaction; `null` when the email or username is taken. */
    async create(input: NewUser): Promise<{ user: User } | { taken: 'email' | 'username' }> {
      return db.transaction(async (tx) => {
        const inserted = await tx
          .insert(users)
          .values({
            email: input.email,
            username: input.username ?? null,
            passwordHash: input.passwordHash,
            createdAt: input.createdAt,
            emailVerifiedAt: input.emailVerifiedAt ?? null,
          })
          .onConflictDoNothing()
          .returning();
        const user = inserted[0];
        if (!user) {
          const byEmail = await tx.select({ id: users.id }).from(users).where(eq(users.email, input.email));
          return { taken: byEmail.length ? 'email' : 'username' } as const;
        }
        await tx
          .insert(profiles)
          .values({ userId: user.id, displayName: input.displayName ?? null, updatedAt: input.createdAt });
        return { user };
      });
    },

    async findByEmail(email: string): Promise<User | undefined> {
      const rows = await byEmail.execute({ email });
      return rows[0];
    },

    async findById(id: string): Promise<User | undefined> {
      const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return rows[0];
    },

    /** Users with their profiles (null when none), one query for any number of ids: the per-request loader's batch. */
    async withProfiles(ids: readonly string[]): Promise<UserWithProfile[]> {
      if (!ids.length) return [];
      if (ids.length === 1) return withProfileById.execute({ id: ids[0] });
      return db
        .select({ user: users, profile: profiles })
        .from(users)
        .leftJoin(profiles, eq(profiles.userId, users.id))
        .where(inArray(users.id, [...ids]));
    },

    async setPasswordHash(id: string, passwordHash: string, changedAt: Date | null): Promise<void> {
      await db
        .update(users)
        .set(changedAt ? { passwordHash, passwordChangedAt: changedAt } : { passwordHash })
        .where(eq(users.id, id));
    },

    /** Drop the password (an address proven by someone else than who set it): only a reset sets one again. */
    async clearPassword(id: string): Promise<void> {
      await db.update(users).set({ passwordHash: null }).where(eq(users.id, id));
    },

    async setActive(id: string, isActive: boolean): Promise<void> {
      await db.update(users).set({ isActive }).where(eq(users.id, id));
    },

    async markEmailVerified(id: string, at: Date): Promise<User | undefined> {
      const rows = await db
        .update(users)
        .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${at.toISOString()}::timestamptz)` })
        .where(eq(users.id, id))
        .returning();
      return rows[0];
    },

    async updateProfile(userId: string, patch: ProfilePatch, at: Date): Promise<Profile> {
      const rows = await db
        .insert(profiles)
        .values({ userId, ...patch, updatedAt: at })
        .onConflictDoUpdate({ target: profiles.userId, set: { ...patch, updatedAt: at } })
        .returning();
      return rows[0];
    },
  };
}
