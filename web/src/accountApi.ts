/**
 * Account and administration operations the pages call (API.md §3, §10.1, §10.2), in one place:
 * each a `@latchkey/client` method (which attaches the bearer token, refreshes it when needed,
 * and keeps the cached user and every tab up to date: verifyEmail, deleteAccount).
 */
import type { AdminUser, AdminUserDetail, AuditEvent, Connection, LatchkeyUser } from '@latchkey/client';
import { latchkey } from './auth/latchkey';

// ——— §3 ———

export const requestPasswordReset = (email: string) => latchkey.requestPasswordReset(email);
export const resetPassword = (input: { email: string; code: string; newPassword: string }) =>
  latchkey.resetPassword(input);
export const changePassword = (input: { currentPassword: string; newPassword: string }) =>
  latchkey.changePassword(input);
export const requestEmailVerification = (email: string) => latchkey.requestEmailVerification(email);
export const verifyEmail = (code: string) => latchkey.verifyEmail(code);

// ——— §10 ———

export type { AdminUser, AdminUserDetail, AuditEvent, Connection };

export const requestEmailChange = (newEmail: string) => latchkey.requestEmailChange(newEmail);
export const confirmEmailChange = (code: string) => latchkey.confirmEmailChange(code);
export const deleteAccount = () => latchkey.deleteAccount();
export const exportMyData = () => latchkey.exportMyData();
export const users = (args: { search?: string; first?: number; after?: string }) => latchkey.users(args);
export const user = (id: string) => latchkey.user(id);
export const auditEvents = (args: { userId?: string; type?: string; first?: number; after?: string }) =>
  latchkey.auditEvents(args);
export const setUserRoles = (id: string, roles: string[]) => latchkey.setUserRoles(id, roles);
export const deactivateUser = (id: string) => latchkey.deactivateUser(id);
export const reactivateUser = (id: string) => latchkey.reactivateUser(id);
export const unlockUser = (id: string) => latchkey.unlockUser(id);
export const revokeUserSessions = (id: string) => latchkey.revokeUserSessions(id);
export const revokeUserSession = (sessionId: string) => latchkey.revokeUserSession(sessionId);

/** The signed-in person's roles; none when the request fails. */
export async function myRoles(): Promise<string[]> {
  try {
    return (await latchkey.me())?.roles ?? [];
  } catch {
    return [];
  }
}

/** Whether the person may see the admin pages, from the user the client holds when it carries roles. */
export function rolesOf(user: LatchkeyUser): string[] | undefined {
  const roles = (user as LatchkeyUser & { roles?: unknown }).roles;
  return Array.isArray(roles) ? (roles as string[]) : undefined;
}
