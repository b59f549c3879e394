/**
 * Second factors from the outside: GraphQL documents, TOTP codes computed from the secret
 * (with `otpauth`, at the server's clock), enrolment of TOTP and passkeys over HTTP.
 */
import { Secret, TOTP } from 'otpauth';
import { softAuthenticator, type SoftAuthenticator } from '../../bench/softAuthenticator.js';
import { LOGIN, type TestClient, type TestServer, TEST_PASSWORD } from './server.js';

/** The origin and RP ID test servers are given (PUBLIC_URL), which the soft authenticator answers with. */
export const TEST_ORIGIN = 'http://localhost:4000';
export const FACTOR_ENV = { PUBLIC_URL: TEST_ORIGIN };

export const START_TOTP = `mutation($c: String) { startTotpEnrollment(challenge: $c) { secret otpauthUri qrSvg } }`;
export const CONFIRM_TOTP = `mutation($code: String!, $c: String) { confirmTotpEnrollment(code: $code, challenge: $c) { codes } }`;
export const DISABLE_TOTP = `mutation { disableTotp }`;
export const REGENERATE = `mutation { regenerateRecoveryCodes { codes } }`;
export const SECURITY = `{ mySecurity { passwordSet totpEnabled recoveryCodesLeft lastAuthenticatedAt passkeys { id name createdAt lastUsedAt backedUp } } }`;
export const COMPLETE = `mutation($c: String!, $totp: String, $rc: String, $pk: JSON) {
  completeSignIn(challenge: $c, totpCode: $totp, recoveryCode: $rc, passkeyResponse: $pk) { accessToken user { id email } }
}`;
export const START_PASSKEY_REGISTRATION = `mutation($c: String) { startPasskeyRegistration(challenge: $c) }`;
export const FINISH_PASSKEY_REGISTRATION = `mutation($r: JSON!, $name: String, $c: String) { finishPasskeyRegistration(response: $r, name: $name, challenge: $c) { id name backedUp } }`;
export const START_PASSKEY_SIGN_IN = `mutation($email: String) { startPasskeySignIn(email: $email) }`;
export const FINISH_PASSKEY_SIGN_IN = `mutation($r: JSON!, $rm: Boolean) { finishPasskeySignIn(response: $r, rememberMe: $rm) { accessToken user { id email } } }`;
export const START_SECOND_PASSKEY = `mutation($c: String!) { startSecondFactorPasskey(challenge: $c) }`;
export const REAUTH = `mutation($password: String, $totp: String, $pk: JSON, $email: String) {
  reauthenticate(password: $password, totpCode: $totp, passkeyResponse: $pk, emailCode: $email) { accessToken }
}`;
export const START_REAUTH_PASSKEY = `mutation { startReauthPasskey }`;
export const REQUEST_OTP = `mutation($email: String!) { requestOtp(email: $email, purpose: LOGIN) }`;
export const VERIFY_OTP = `mutation($email: String!, $code: String!) { verifyOtp(email: $email, code: $code) { accessToken } }`;

/** The TOTP code of `secret` at `at` (ms), as an authenticator app would show it. */
export const totpAt = (secret: string, at: number) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at });

/** Turn TOTP on for the signed-in client: the secret and the recovery codes. */
export async function enrolTotp(t: TestServer, client: TestClient): Promise<{ secret: string; codes: string[] }> {
  const started = await client.gql(START_TOTP);
  if (started.body.errors) throw new Error(JSON.stringify(started.body.errors));
  const { secret } = started.body.data.startTotpEnrollment;
  const confirmed = await client.gql(CONFIRM_TOTP, { code: totpAt(secret, now(t)) });
  if (confirmed.body.errors) throw new Error(JSON.stringify(confirmed.body.errors));
  return { secret, codes: confirmed.body.data.confirmTotpEnrollment.codes };
}

/** Register a software passkey for the signed-in client. */
export async function enrolPasskey(client: TestClient, name?: string): Promise<{ key: SoftAuthenticator; id: string }> {
  const key = await softAuthenticator({ origin: TEST_ORIGIN, rpId: 'localhost' });
  const options = await client.gql(START_PASSKEY_REGISTRATION);
  if (options.body.errors) throw new Error(JSON.stringify(options.body.errors));
  const done = await client.gql(FINISH_PASSKEY_REGISTRATION, {
    r: key.register(options.body.data.startPasskeyRegistration),
    name,
  });
  if (done.body.errors) throw new Error(JSON.stringify(done.body.errors));
  return { key, id: done.body.data.finishPasskeyRegistration.id };
}

/** The server's time (its manual clock when it has one). */
export const now = (t: TestServer) => t.clock?.now() ?? Date.now();

/** Password login that must stop at the second step: its challenge and methods. */
export async function loginToChallenge(t: TestServer, email: string, client = t.client()) {
  const res = await client.gql(LOGIN, { email, password: TEST_PASSWORD });
  const ext = res.body.errors?.[0]?.extensions ?? {};
  return { res, client, code: res.code, challenge: ext.challenge as string, methods: ext.methods as string[] };
}

/** Move the server's clock to the start of the next TOTP step (a new code). */
export function nextStep(t: TestServer) {
  t.clock!.advance(30_000 - (t.clock!.now() % 30_000));
}
