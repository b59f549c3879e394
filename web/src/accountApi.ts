/**
 * Account and administration operations the pages call (API.md §3, §10.1, §10.2), in one place.
 * The §10 ones are `@latchkey/client` methods (deleteAccount also signs every tab out); the
 * password ones (§3) are GraphQL documents sent through the client's generic `request` (which
 * attaches the bearer token and refreshes it when needed) while the client has no method for them.
 */
import type { AdminUser, AdminUserDetail, AuditEvent, Connection, LatchkeyUser } from '@latchkey/client';
import { latchkey } from './auth/latchkey';

// ——— §3, on the server today ———

/** Mail a PASSWORD_RESET code (the answer is the same whether or not the address has an account). */
export async function requestPasswordReset(email: string): Promise<void> {
  await latchkey.request(
    'mutation LatchkeyRequestReset($email: String!) { requestOtp(email: $email, purpose: PASSWORD_RESET) }',
    { email },
  );
}

/** Set a new password with the mailed code; every session of the account ends. */
export async function resetPassword(input: { email: string; code: string; newPassword: string }): Promise<void> {
  await latchkey.request(
    'mutation LatchkeyResetPassword($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }',
    input,
  );
}

/** Change the password (the current one proves it is the person); other sessions end. */
export async function changePassword(input: { currentPassword: string; newPassword: string }): Promise<void> {
  await latchkey.request(
    'mutation LatchkeyChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }',
    input,
  );
}

/** Mail a new VERIFY_EMAIL code to the signed-in person's address. */
export async function requestEmailVerification(email: string): Promise<void> {
  await latchkey.request(
    'mutation LatchkeyRequestVerify($email: String!) { requestOtp(email: $email, purpose: VERIFY_EMAIL) }',
    { email },
  );
}

/** Confirm the signed-in person's address with the mailed code. */
export async function verifyEmail(code: string): Promise<void> {
  await latchkey.request('mutation LatchkeyVerifyEmail($code: String!) { verifyEmail(code: $code) { id } }', { code });
}

// ——— §10, the client's methods ———

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

/** The signed-in person's roles; none when the server does not know roles (yet) or the request fails. */
export async function myRoles(): Promise<string[]> {
  try {
    return (
      (await latchkey.request<{ me: { roles: string[] } | null }>('query LatchkeyMyRoles { me { roles } }')).me
        ?.roles ?? []
    );
  } catch {
    return [];
  }
}

/** Whether the person may see the admin pages, from the user the client holds when it carries roles. */
export function rolesOf(user: LatchkeyUser): string[] | undefined {
  const roles = (user as LatchkeyUser & { roles?: unknown }).roles;
  return Array.isArray(roles) ? (roles as string[]) : undefined;
}
