/**
 * Account and administration operations the pages call (API.md §3, §10.1, §10.2), in one place.
 * Each is a GraphQL document sent through the client's generic `request` (which attaches the
 * bearer token and refreshes it when needed; signed out it sends none). The §10 ones are to
 * become `@latchkey/client` methods of the same names: switching to them is an edit of this file
 * only. The password ones (§3) stay here while the client has no method for them.
 */
import type { LatchkeyUser } from '@latchkey/client';
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

// ——— §10.1, the account's own ———

export async function requestEmailChange(newEmail: string): Promise<boolean> {
  const data = await latchkey.request<{ requestEmailChange: boolean }>(
    'mutation LatchkeyRequestEmailChange($newEmail: String!) { requestEmailChange(newEmail: $newEmail) }',
    { newEmail },
  );
  return data.requestEmailChange;
}

export async function confirmEmailChange(code: string): Promise<{ email: string; emailVerified: boolean }> {
  const data = await latchkey.request<{ confirmEmailChange: { email: string; emailVerified: boolean } }>(
    'mutation LatchkeyConfirmEmailChange($code: String!) { confirmEmailChange(code: $code) { id email emailVerified } }',
    { code },
  );
  return data.confirmEmailChange;
}

export async function deleteAccount(): Promise<boolean> {
  return (await latchkey.request<{ deleteAccount: boolean }>('mutation LatchkeyDeleteAccount { deleteAccount }'))
    .deleteAccount;
}

export async function exportMyData(): Promise<unknown> {
  return (await latchkey.request<{ exportMyData: unknown }>('query LatchkeyExportMyData { exportMyData }'))
    .exportMyData;
}

// ——— §10.2, administration ———

export interface AdminSession {
  id: string;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}
export interface AdminUser {
  id: string;
  email: string;
  username: string | null;
  emailVerified: boolean;
  createdAt: string;
  lastLoginAt: string | null;
  roles: string[];
  isActive: boolean;
  profile: { displayName: string | null };
}
export interface AdminUserDetail extends AdminUser {
  sessions: AdminSession[];
}
export interface AuditEvent {
  id: string;
  type: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  at: string;
  detail: unknown;
}
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const USER = 'id email username emailVerified createdAt lastLoginAt roles isActive profile { displayName }';
const SESSION = 'id current createdAt lastUsedAt expiresAt userAgent ip';
const AUDIT = 'id type userId actorId ip userAgent at detail';
const PAGE = 'pageInfo { hasNextPage endCursor }';

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

export async function users(args: { search?: string; first?: number; after?: string }): Promise<Connection<AdminUser>> {
  return (
    await latchkey.request<{ users: Connection<AdminUser> }>(
      `query LatchkeyUsers($search: String, $first: Int, $after: String) { users(search: $search, first: $first, after: $after) { edges { cursor node { ${USER} } } ${PAGE} } }`,
      args,
    )
  ).users;
}

export async function user(id: string): Promise<AdminUserDetail | null> {
  return (
    await latchkey.request<{ user: AdminUserDetail | null }>(
      `query LatchkeyUser($id: ID!) { user(id: $id) { ${USER} sessions { ${SESSION} } } }`,
      { id },
    )
  ).user;
}

export async function auditEvents(args: {
  userId?: string;
  type?: string;
  first?: number;
  after?: string;
}): Promise<Connection<AuditEvent>> {
  return (
    await latchkey.request<{ auditEvents: Connection<AuditEvent> }>(
      `query LatchkeyAuditEvents($userId: ID, $type: String, $first: Int, $after: String) { auditEvents(userId: $userId, type: $type, first: $first, after: $after) { edges { cursor node { ${AUDIT} } } ${PAGE} } }`,
      args,
    )
  ).auditEvents;
}

export async function setUserRoles(id: string, roles: string[]): Promise<AdminUser> {
  return (
    await latchkey.request<{ setUserRoles: AdminUser }>(
      `mutation LatchkeySetUserRoles($id: ID!, $roles: [String!]!) { setUserRoles(id: $id, roles: $roles) { ${USER} } }`,
      { id, roles },
    )
  ).setUserRoles;
}

export async function deactivateUser(id: string): Promise<AdminUser> {
  return (
    await latchkey.request<{ deactivateUser: AdminUser }>(
      `mutation LatchkeyDeactivateUser($id: ID!) { deactivateUser(id: $id) { ${USER} } }`,
      { id },
    )
  ).deactivateUser;
}

export async function reactivateUser(id: string): Promise<AdminUser> {
  return (
    await latchkey.request<{ reactivateUser: AdminUser }>(
      `mutation LatchkeyReactivateUser($id: ID!) { reactivateUser(id: $id) { ${USER} } }`,
      { id },
    )
  ).reactivateUser;
}

export async function unlockUser(id: string): Promise<boolean> {
  return (
    await latchkey.request<{ unlockUser: boolean }>('mutation LatchkeyUnlockUser($id: ID!) { unlockUser(id: $id) }', {
      id,
    })
  ).unlockUser;
}

export async function revokeUserSessions(id: string): Promise<number> {
  return (
    await latchkey.request<{ revokeUserSessions: number }>(
      'mutation LatchkeyRevokeUserSessions($id: ID!) { revokeUserSessions(id: $id) }',
      { id },
    )
  ).revokeUserSessions;
}

export async function revokeUserSession(sessionId: string): Promise<boolean> {
  return (
    await latchkey.request<{ revokeUserSession: boolean }>(
      'mutation LatchkeyRevokeUserSession($sessionId: ID!) { revokeUserSession(sessionId: $sessionId) }',
      { sessionId },
    )
  ).revokeUserSession;
}
