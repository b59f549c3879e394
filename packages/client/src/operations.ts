/** The GraphQL documents the client sends (API.md §3), one per operation. */
import { AUTH_PAYLOAD_FIELDS } from './user.js';

export const REFRESH = `mutation LatchkeyRefresh { refreshToken { ${AUTH_PAYLOAD_FIELDS} } }`;
export const LOGIN = `mutation LatchkeyLogin($email: String!, $password: String!, $rememberMe: Boolean, $code: String) {
  login(email: $email, password: $password, rememberMe: $rememberMe, code: $code) { ${AUTH_PAYLOAD_FIELDS} } }`;
export const REGISTER = `mutation LatchkeyRegister($email: String!, $password: String!, $username: String, $displayName: String, $rememberMe: Boolean) {
  register(email: $email, password: $password, username: $username, displayName: $displayName, rememberMe: $rememberMe) { ${AUTH_PAYLOAD_FIELDS} } }`;
export const REQUEST_OTP = `mutation LatchkeyRequestOtp($email: String!) { requestOtp(email: $email) }`;
export const VERIFY_OTP = `mutation LatchkeyVerifyOtp($email: String!, $code: String!, $rememberMe: Boolean) {
  verifyOtp(email: $email, code: $code, rememberMe: $rememberMe) { ${AUTH_PAYLOAD_FIELDS} } }`;
export const LOGOUT = `mutation LatchkeyLogout($everywhere: Boolean) { logout(everywhere: $everywhere) }`;
