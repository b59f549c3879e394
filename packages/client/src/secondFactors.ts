/**
 * Second factors and passkeys for the client (API.md §8): sign-in results that say when a
 * second step is needed instead of throwing, the second step, passkey ceremonies wrapped with
 * @simplewebauthn/browser, enrolment and management of factors, and `reauthenticate`.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { LatchkeyError } from './errors.js';
import { AUTH_PAYLOAD_FIELDS, type AuthPayload, type LatchkeyUser } from './user.js';

export type SecondFactorMethod = 'TOTP' | 'PASSKEY' | 'RECOVERY_CODE';

/** What a first factor gives: a session, or the challenge of the step still needed. */
export type SignInResult =
  | { status: 'signedIn'; user: LatchkeyUser }
  | { status: 'secondFactorRequired'; challenge: string; methods: SecondFactorMethod[] }
  | { status: 'enrollmentRequired'; challenge: string };

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

export interface Security {
  passwordSet: boolean;
  totpEnabled: boolean;
  recoveryCodesLeft: number;
  lastAuthenticatedAt: string;
  passkeys: Passkey[];
}

export interface SecondFactorMethods {
  /** The second step with a TOTP code or a recovery code. */
  completeSignIn(input: { challenge: string; totpCode?: string; recoveryCode?: string }): Promise<LatchkeyUser>;
  /** The second step with a passkey (the browser asks for it). */
  completeSignInWithPasskey(challenge: string): Promise<LatchkeyUser>;
  /** Sign in with a passkey alone: for an email, or any passkey of this site (`autofill`: the Email field's suggestions). */
  signInWithPasskey(input?: { email?: string; rememberMe?: boolean; autofill?: boolean }): Promise<SignInResult>;
  /** Register a passkey for the signed-in account (or under an enrolment challenge). */
  addPasskey(input?: { name?: string; challenge?: string }): Promise<Passkey>;
  renamePasskey(id: string, name: string): Promise<Passkey>;
  removePasskey(id: string): Promise<boolean>;
  getSecurity(): Promise<Security>;
  startTotpEnrollment(challenge?: string): Promise<{ secret: string; otpauthUri: string; qrSvg: string }>;
  /** Turn TOTP on with a first code: the ten recovery codes, shown once. */
  confirmTotpEnrollment(code: string, challenge?: string): Promise<string[]>;
  disableTotp(): Promise<boolean>;
  regenerateRecoveryCodes(): Promise<string[]>;
  /** Renew this session's recent sign-in with one factor. */
  reauthenticate(input: { password?: string; totpCode?: string; emailCode?: string }): Promise<LatchkeyUser>;
  reauthenticateWithPasskey(): Promise<LatchkeyUser>;
}

interface Deps {
  /** A request without a bearer token. */
  anonymous<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** A request as the signed-in person. */
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  signedIn(payload: AuthPayload): LatchkeyUser;
}

const PASSKEY_FIELDS = 'id name createdAt lastUsedAt backedUp';

/** A first factor's result: SECOND_FACTOR_REQUIRED and SECOND_FACTOR_ENROLLMENT_REQUIRED are answers, not failures. */
export async function signInResult(signIn: () => Promise<LatchkeyUser>): Promise<SignInResult> {
  try {
    return { status: 'signedIn', user: await signIn() };
  } catch (e) {
    if (!(e instanceof LatchkeyError)) throw e;
    const challenge = String(e.extensions.challenge ?? '');
    if (e.code === 'SECOND_FACTOR_REQUIRED')
      return { status: 'secondFactorRequired', challenge, methods: e.extensions.methods as SecondFactorMethod[] };
    if (e.code === 'SECOND_FACTOR_ENROLLMENT_REQUIRED') return { status: 'enrollmentRequired', challenge };
    throw e;
  }
}

export function secondFactorMethods({ anonymous, request, signedIn }: Deps): SecondFactorMethods {
  /** Enrolment goes with the bearer token, or (MFA_REQUIRED) with the enrolment challenge instead. */
  const enrol = <T>(query: string, variables: Record<string, unknown>, challenge?: string) =>
    challenge ? anonymous<T>(query, { ...variables, c: challenge }) : request<T>(query, variables);
  const complete = async (variables: Record<string, unknown>) =>
    signedIn(
      (
        await anonymous<{ completeSignIn: AuthPayload }>(
          `mutation LatchkeyComplete($c: String!, $t: String, $r: String, $p: JSON) { completeSignIn(challenge: $c, totpCode: $t, recoveryCode: $r, passkeyResponse: $p) { ${AUTH_PAYLOAD_FIELDS} } }`,
          variables,
        )
      ).completeSignIn,
    );
  const reauth = async (variables: Record<string, unknown>) =>
    signedIn(
      (
        await request<{ reauthenticate: AuthPayload }>(
          `mutation LatchkeyReauth($pw: String, $t: String, $e: String, $p: JSON) { reauthenticate(password: $pw, totpCode: $t, emailCode: $e, passkeyResponse: $p) { ${AUTH_PAYLOAD_FIELDS} } }`,
          variables,
        )
      ).reauthenticate,
    );

  return {
    completeSignIn: ({ challenge, totpCode, recoveryCode }) => complete({ c: challenge, t: totpCode, r: recoveryCode }),
    async completeSignInWithPasskey(challenge) {
      const { startSecondFactorPasskey: optionsJSON } = await anonymous<{ startSecondFactorPasskey: never }>(
        'mutation LatchkeyPasskeyStep($c: String!) { startSecondFactorPasskey(challenge: $c) }',
        { c: challenge },
      );
      return complete({ c: challenge, p: await startAuthentication({ optionsJSON }) });
    },
    async signInWithPasskey({ email, rememberMe = false, autofill = false } = {}) {
      const { startPasskeySignIn: optionsJSON } = await anonymous<{ startPasskeySignIn: never }>(
        'mutation LatchkeyPasskeyOptions($e: String) { startPasskeySignIn(email: $e) }',
        { e: email },
      );
      const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
      return signInResult(async () =>
        signedIn(
          (
            await anonymous<{ finishPasskeySignIn: AuthPayload }>(
              `mutation LatchkeyPasskeySignIn($r: JSON!, $m: Boolean) { finishPasskeySignIn(response: $r, rememberMe: $m) { ${AUTH_PAYLOAD_FIELDS} } }`,
              { r: response, m: rememberMe },
            )
          ).finishPasskeySignIn,
        ),
      );
    },
    async addPasskey({ name, challenge } = {}) {
      const { startPasskeyRegistration: optionsJSON } = await enrol<{ startPasskeyRegistration: never }>(
        'mutation LatchkeyAddPasskey($c: String) { startPasskeyRegistration(challenge: $c) }',
        {},
        challenge,
      );
      const response = await startRegistration({ optionsJSON });
      return (
        await enrol<{ finishPasskeyRegistration: Passkey }>(
          `mutation LatchkeyPasskeyAdded($r: JSON!, $n: String, $c: String) { finishPasskeyRegistration(response: $r, name: $n, challenge: $c) { ${PASSKEY_FIELDS} } }`,
          { r: response, n: name },
          challenge,
        )
      ).finishPasskeyRegistration;
    },
    renamePasskey: async (id, name) =>
      (
        await request<{ renamePasskey: Passkey }>(
          `mutation LatchkeyRename($id: ID!, $n: String!) { renamePasskey(id: $id, name: $n) { ${PASSKEY_FIELDS} } }`,
          { id, n: name },
        )
      ).renamePasskey,
    removePasskey: async (id) =>
      (
        await request<{ removePasskey: boolean }>('mutation LatchkeyRemove($id: ID!) { removePasskey(id: $id) }', {
          id,
        })
      ).removePasskey,
    getSecurity: async () =>
      (
        await request<{ mySecurity: Security }>(
          `query LatchkeySecurity { mySecurity { passwordSet totpEnabled recoveryCodesLeft lastAuthenticatedAt passkeys { ${PASSKEY_FIELDS} } } }`,
        )
      ).mySecurity,
    startTotpEnrollment: async (challenge) =>
      (
        await enrol<{ startTotpEnrollment: { secret: string; otpauthUri: string; qrSvg: string } }>(
          'mutation LatchkeyTotp($c: String) { startTotpEnrollment(challenge: $c) { secret otpauthUri qrSvg } }',
          {},
          challenge,
        )
      ).startTotpEnrollment,
    confirmTotpEnrollment: async (code, challenge) =>
      (
        await enrol<{ confirmTotpEnrollment: { codes: string[] } }>(
          'mutation LatchkeyTotpOn($code: String!, $c: String) { confirmTotpEnrollment(code: $code, challenge: $c) { codes } }',
          { code },
          challenge,
        )
      ).confirmTotpEnrollment.codes,
    disableTotp: async () =>
      (await request<{ disableTotp: boolean }>('mutation LatchkeyTotpOff { disableTotp }')).disableTotp,
    regenerateRecoveryCodes: async () =>
      (
        await request<{ regenerateRecoveryCodes: { codes: string[] } }>(
          'mutation LatchkeyCodes { regenerateRecoveryCodes { codes } }',
        )
      ).regenerateRecoveryCodes.codes,
    reauthenticate: ({ password, totpCode, emailCode }) => reauth({ pw: password, t: totpCode, e: emailCode }),
    async reauthenticateWithPasskey() {
      const { startReauthPasskey: optionsJSON } = await request<{ startReauthPasskey: never }>(
        'mutation LatchkeyReauthOptions { startReauthPasskey }',
      );
      return reauth({ p: await startAuthentication({ optionsJSON }) });
    },
  };
}
