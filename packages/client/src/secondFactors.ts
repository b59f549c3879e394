/**
 * Second factors and passkeys for the client (API.md §8): sign-in results that say when a
 * second step is needed instead of throwing, the second step, passkey ceremonies wrapped with
 * @simplewebauthn/browser, enrolment and management of factors, and `reauthenticate`.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { LatchkeyError } from './errors.js';
import { fieldOf } from './field.js';
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
  const one = fieldOf(request);
  const anyone = fieldOf(anonymous);
  /** Enrolment goes with the bearer token, or (MFA_REQUIRED) with the enrolment challenge instead. */
  const enrol = (challenge?: string) =>
    challenge ? fieldOf((query, variables) => anonymous(query, { ...variables, c: challenge })) : one;
  const complete = async (variables: Record<string, unknown>) =>
    signedIn(
      await anyone<AuthPayload>(
        'completeSignIn',
        `mutation LatchkeyComplete($c: String!, $t: String, $r: String, $p: JSON) { completeSignIn(challenge: $c, totpCode: $t, recoveryCode: $r, passkeyResponse: $p) { ${AUTH_PAYLOAD_FIELDS} } }`,
        variables,
      ),
    );
  const reauth = async (variables: Record<string, unknown>) =>
    signedIn(
      await one<AuthPayload>(
        'reauthenticate',
        `mutation LatchkeyReauth($pw: String, $t: String, $e: String, $p: JSON) { reauthenticate(password: $pw, totpCode: $t, emailCode: $e, passkeyResponse: $p) { ${AUTH_PAYLOAD_FIELDS} } }`,
        variables,
      ),
    );

  return {
    completeSignIn: ({ challenge, totpCode, recoveryCode }) => complete({ c: challenge, t: totpCode, r: recoveryCode }),
    async completeSignInWithPasskey(challenge) {
      const optionsJSON = await anyone<never>(
        'startSecondFactorPasskey',
        'mutation LatchkeyPasskeyStep($c: String!) { startSecondFactorPasskey(challenge: $c) }',
        { c: challenge },
      );
      return complete({ c: challenge, p: await startAuthentication({ optionsJSON }) });
    },
    async signInWithPasskey({ email, rememberMe = false, autofill = false } = {}) {
      const optionsJSON = await anyone<never>(
        'startPasskeySignIn',
        'mutation LatchkeyPasskeyOptions($e: String) { startPasskeySignIn(email: $e) }',
        { e: email },
      );
      const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
      return signInResult(async () =>
        signedIn(
          await anyone<AuthPayload>(
            'finishPasskeySignIn',
            `mutation LatchkeyPasskeySignIn($r: JSON!, $m: Boolean) { finishPasskeySignIn(response: $r, rememberMe: $m) { ${AUTH_PAYLOAD_FIELDS} } }`,
            { r: response, m: rememberMe },
          ),
        ),
      );
    },
    async addPasskey({ name, challenge } = {}) {
      const optionsJSON = await enrol(challenge)<never>(
        'startPasskeyRegistration',
        'mutation LatchkeyAddPasskey($c: String) { startPasskeyRegistration(challenge: $c) }',
        {},
      );
      const response = await startRegistration({ optionsJSON });
      return enrol(challenge)(
        'finishPasskeyRegistration',
        `mutation LatchkeyPasskeyAdded($r: JSON!, $n: String, $c: String) { finishPasskeyRegistration(response: $r, name: $n, challenge: $c) { ${PASSKEY_FIELDS} } }`,
        { r: response, n: name },
      );
    },
    renamePasskey: (id, name) =>
      one(
        'renamePasskey',
        `mutation LatchkeyRename($id: ID!, $n: String!) { renamePasskey(id: $id, name: $n) { ${PASSKEY_FIELDS} } }`,
        { id, n: name },
      ),
    removePasskey: (id) => one('removePasskey', 'mutation LatchkeyRemove($id: ID!) { removePasskey(id: $id) }', { id }),
    getSecurity: () =>
      one(
        'mySecurity',
        `query LatchkeySecurity { mySecurity { passwordSet totpEnabled recoveryCodesLeft lastAuthenticatedAt passkeys { ${PASSKEY_FIELDS} } } }`,
      ),
    startTotpEnrollment: (challenge) =>
      enrol(challenge)(
        'startTotpEnrollment',
        'mutation LatchkeyTotp($c: String) { startTotpEnrollment(challenge: $c) { secret otpauthUri qrSvg } }',
        {},
      ),
    confirmTotpEnrollment: async (code, challenge) =>
      (
        await enrol(challenge)<{ codes: string[] }>(
          'confirmTotpEnrollment',
          'mutation LatchkeyTotpOn($code: String!, $c: String) { confirmTotpEnrollment(code: $code, challenge: $c) { codes } }',
          { code },
        )
      ).codes,
    disableTotp: () => one('disableTotp', 'mutation LatchkeyTotpOff { disableTotp }'),
    regenerateRecoveryCodes: async () =>
      (
        await one<{ codes: string[] }>(
          'regenerateRecoveryCodes',
          'mutation LatchkeyCodes { regenerateRecoveryCodes { codes } }',
        )
      ).codes,
    reauthenticate: ({ password, totpCode, emailCode }) => reauth({ pw: password, t: totpCode, e: emailCode }),
    async reauthenticateWithPasskey() {
      const optionsJSON = await one<never>(
        'startReauthPasskey',
        'mutation LatchkeyReauthOptions { startReauthPasskey }',
      );
      return reauth({ p: await startAuthentication({ optionsJSON }) });
    },
  };
}
