/** GraphQL documents and helpers of the account's own operations and administration (API.md §10). */
import { type TestServer, loginUser, registerUser } from './server.js';

export const REQUEST_EMAIL_CHANGE = `mutation($e: String!) { requestEmailChange(newEmail: $e) }`;
export const CONFIRM_EMAIL_CHANGE = `mutation($c: String!) { confirmEmailChange(code: $c) { id email emailVerified } }`;
export const DELETE_ACCOUNT = `mutation { deleteAccount }`;
export const EXPORT = `{ exportMyData }`;
export const USERS = `query($s: String, $f: Int, $a: String) { users(search: $s, first: $f, after: $a) {
  edges { cursor node { id email username roles isActive profile { displayName } } } pageInfo { hasNextPage endCursor } } }`;
export const USER = `query($id: ID!) { user(id: $id) { id email roles isActive
  sessions { id current userAgent } security { passwordSet totpEnabled recoveryCodesLeft passkeys { id } } } }`;
export const AUDIT = `query($u: ID, $t: String, $f: Int, $a: String) { auditEvents(userId: $u, type: $t, first: $f, after: $a) {
  edges { cursor node { id type userId actorId ip userAgent at detail } } pageInfo { hasNextPage endCursor } } }`;
export const SET_ROLES = `mutation($id: ID!, $r: [String!]!) { setUserRoles(id: $id, roles: $r) { id roles } }`;
export const DEACTIVATE = `mutation($id: ID!) { deactivateUser(id: $id) { id isActive } }`;
export const REACTIVATE = `mutation($id: ID!) { reactivateUser(id: $id) { id isActive } }`;
export const UNLOCK = `mutation($id: ID!) { unlockUser(id: $id) }`;
export const REVOKE_ALL = `mutation($id: ID!) { revokeUserSessions(id: $id) }`;
export const REVOKE_ONE = `mutation($s: ID!) { revokeUserSession(sessionId: $s) }`;

/** A signed-in admin: registered, granted `admin` in the table (as the CLI does), signed in again so the token says so. */
export async function signedInAdmin(t: TestServer) {
  const { email, userId } = await registerUser(t.client());
  await t.sql(`insert into user_roles (user_id, role, granted_at) values ($1, 'admin', now())`, [userId]);
  const client = await loginUser(t, email);
  return { client, email, userId };
}
