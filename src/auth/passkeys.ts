/**
 * Passkeys (WebAuthn Level 3, through @simplewebauthn/server): registration for a signed-in
 * account, sign-in with a passkey alone (for an email, or discoverable for the browser's
 * autofill), a passkey as the second step, and a passkey to reauthenticate.
 *
 * Every ceremony's WebAuthn challenge is one of our challenges (challenges.ts): stored hashed,
 * 5 minutes, used up by the first response that names it — found again by the hash of the
 * challenge inside the response's clientDataJSON, so a response for another challenge, a
 * dead one or a reused one is refused before any signature work. Origin (PUBLIC_URL) and RP ID
 * (WEBAUTHN_RP_ID) are checked by the library; user verification is required when the passkey
 * is the only factor; the signature counter and backup flags are stored on every use.
 *
 * @example
 *   const options = await passkeys.signInOptions(email);   // to navigator.credentials.get
 *   const { user, amr } = await passkeys.signIn(response, meta);  // then signIn.finish(user, …)
 *
 * Failed sign-ins with a passkey alone count like password failures (same limits,
 * RATE_LIMIT_LOGIN_IP per address and RATE_LIMIT_LOGIN_ACCOUNT per credential): a passkey
 * cannot be guessed, but every refused response costs a signature check and a challenge.
 */
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Challenges } from './challenges.js';
import type { Clock } from './clock.js';
import { AuthError, isAuthError } from './errors.js';
import type { ChallengeKind, ChallengeRow, PasskeyRow, PasskeyStore } from './factorPorts.js';
import type { Limits } from './limits.js';
import { parseCredentialResponse } from './webauthnInput.js';

/**
 * @simplewebauthn/server is the heaviest module the server loads: loaded at the first ceremony
 * (and warmed up by `serve` once it listens), so a CLI command or a start does not pay for it.
 */
const webauthn = () => import('@simplewebauthn/server');

export const PASSKEY_NAME_MAX = 64;

type PasskeyConfig = Pick<Config, 'publicUrl' | 'webauthnRpId' | 'webauthnRpName'>;

interface Deps {
  store: PasskeyStore;
  challenges: Challenges;
  config: PasskeyConfig;
  clock: Clock;
  limits: Limits;
  audit: Audit;
}

/** The key of a credential's failed-sign-in counter (`loginAccount`): what an admin's unlock clears for each passkey. */
export const passkeyLimitKey = (credentialId: string) => `passkey:${credentialId}`;

/** The credential a sign-in response names (the per-credential counter's key), if it names one. */
const credentialKey = (input: unknown) => {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 1400 ? passkeyLimitKey(id) : null;
};

/** RFC 8176: a synced passkey is a software key, a device-bound one a hardware key; `user` for the gesture. */
export const passkeyAmr = (deviceType: string, userVerified: boolean) => [
  deviceType === 'multiDevice' ? 'swk' : 'hwk',
  'user',
  ...(userVerified ? ['mfa'] : []),
];

const invalid = () => new AuthError('PASSKEY_INVALID');

/** What a verification gives when it passed; anything it throws, or a result not verified, is PASSKEY_INVALID. */
async function verified<T>(check: () => Promise<{ verified: boolean } & T>): Promise<T> {
  const result = await check().catch(() => undefined);
  if (!result?.verified) throw invalid();
  return result;
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const bytes = (base64url: string) => new Uint8Array(Buffer.from(base64url, 'base64url'));
const descriptor = (p: PasskeyRow) => ({
  id: p.credentialId,
  transports: (p.transports ?? undefined) as AuthenticatorTransportFuture[] | undefined,
});

export function checkPasskeyName(name: string): string {
  const v = name.trim();
  if (!v || v.length > PASSKEY_NAME_MAX || /\p{Cc}/u.test(v)) {
    throw new AuthError(
      'BAD_USER_INPUT',
      `Passkey name must be 1–${PASSKEY_NAME_MAX} characters without control characters`,
      { field: 'name' },
    );
  }
  return v;
}

export function createPasskeys({ store, challenges, config, clock, limits, audit }: Deps) {
  const now = () => new Date(clock.now());
  const expected = { expectedOrigin: config.publicUrl.replace(/\/+$/, ''), expectedRPID: config.webauthnRpId };

  /** Options for navigator.credentials.get, with a new challenge of `kind`. */
  const requestOptions = async (
    kind: ChallengeKind,
    fields: { userId: string | null; parentId?: string; sessionId?: string },
    allow: PasskeyRow[],
    uv: 'required' | 'preferred',
  ) => {
    const challenge = await challenges.issue(kind, fields);
    const { generateAuthenticationOptions } = await webauthn();
    return generateAuthenticationOptions({
      rpID: config.webauthnRpId,
      challenge: bytes(challenge),
      allowCredentials: allow.map(descriptor),
      userVerification: uv,
    });
  };

  /**
   * Check an assertion: its challenge (one of `kinds`, used up now), its credential (one of
   * ours; the challenge's account's when it is bound to one), origin, RP ID, signature and,
   * when `requireUv`, user verification. Stores the new counter and backup flag.
   */
  const verifyAssertion = async (input: unknown, kinds: ChallengeKind[], requireUv: boolean) => {
    const { response, challenge } = parseCredentialResponse<AuthenticationResponseJSON>(input, 'webauthn.get');
    const row = await challenges.consume(challenge, kinds);
    const passkey = await store.byCredentialId(response.id);
    if (!passkey || (row.userId && row.userId !== passkey.userId)) throw invalid();
    const { verifyAuthenticationResponse } = await webauthn();
    const { authenticationInfo: info } = await verified(() =>
      verifyAuthenticationResponse({
        response,
        ...expected,
        expectedChallenge: challenge,
        credential: {
          id: passkey.credentialId,
          publicKey: bytes(passkey.publicKey),
          counter: passkey.counter,
          transports: descriptor(passkey).transports,
        },
        requireUserVerification: requireUv,
      }),
    );
    await store.recordUse(passkey.id, info.newCounter, info.credentialBackedUp, now());
    return { passkey, row, amr: passkeyAmr(info.credentialDeviceType, info.userVerified) };
  };

  return {
    /** Creation options for a new passkey of `user` (the session's, or an enrolment challenge's). */
    async registrationOptions(
      user: { id: string; email: string; displayName?: string | null },
      sessionId: string | null,
    ) {
      const existing = await store.listForUser(user.id);
      const challenge = await challenges.issue('passkey_register', { userId: user.id, sessionId });
      const { generateRegistrationOptions } = await webauthn();
      return generateRegistrationOptions({
        rpName: config.webauthnRpName,
        rpID: config.webauthnRpId,
        userName: user.email,
        userDisplayName: user.displayName ?? user.email,
        userID: new TextEncoder().encode(user.id),
        challenge: bytes(challenge),
        attestationType: 'none',
        excludeCredentials: existing.map(descriptor),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
    },

    /**
     * Check a registration response for `userId` and store the passkey as `name` with `add`
     * (default: the store; a caller may do it in a transaction with its event).
     */
    async register(
      userId: string,
      input: unknown,
      name: string,
      add: PasskeyStore['add'] = (passkey) => store.add(passkey),
    ): Promise<PasskeyRow> {
      const label = checkPasskeyName(name);
      const { response, challenge } = parseCredentialResponse<RegistrationResponseJSON>(input, 'webauthn.create');
      const row = await challenges.consume(challenge, ['passkey_register']);
      if (row.userId !== userId) throw invalid();
      const { verifyRegistrationResponse } = await webauthn();
      const { registrationInfo: info } = await verified(() =>
        verifyRegistrationResponse({
          response,
          ...expected,
          expectedChallenge: challenge,
          requireUserVerification: false,
        }),
      );
      if (!info) throw invalid();
      const added = await add({
        userId,
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? null,
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name: label,
        createdAt: now(),
      });
      if (!added) throw invalid();
      return added;
    },

    /**
     * Options to sign in with a passkey alone. With an email that has passkeys, they are listed
     * (and the challenge is bound to that account); otherwise the options are the discoverable
     * ones, the same as without an email — the browser offers what it holds.
     */
    async signInOptions(user: { id: string } | undefined) {
      const mine = user ? await store.listForUser(user.id) : [];
      return requestOptions('passkey_signin', { userId: mine.length ? user!.id : null }, mine, 'required');
    },

    /** A passkey as the only factor (user verification required): whose it is and the methods. */
    async signIn(input: unknown, meta: RequestMeta): Promise<{ userId: string; amr: string[] }> {
      // Counted before the check, as password attempts are (limits.ts): a burst cannot slip past.
      await limits.take('loginIp', meta.ip, meta);
      const credential = credentialKey(input);
      await limits.take('loginAccount', credential, meta);
      try {
        const { passkey, amr } = await verifyAssertion(input, ['passkey_signin'], true);
        await limits.reset('loginAccount', credential);
        await limits.forgive('loginIp', meta.ip);
        return { userId: passkey.userId, amr };
      } catch (e) {
        if (isAuthError(e)) await audit.record('login_failed', null, meta, { reason: 'passkey_refused', code: e.code });
        throw e;
      }
    },

    /** Options for the passkey as second step of the sign-in `parent`. */
    async secondStepOptions(parent: ChallengeRow) {
      return requestOptions(
        'passkey_second',
        { userId: parent.userId, parentId: parent.id },
        await store.listForUser(parent.userId!),
        'preferred',
      );
    },

    /** Whether `input` is an assertion for the second step of `parent` by one of the account's passkeys; its methods. */
    async secondStep(parent: ChallengeRow, input: unknown): Promise<string[]> {
      const { row, amr } = await verifyAssertion(input, ['passkey_second'], false);
      if (row.parentId !== parent.id) throw invalid();
      return amr;
    },

    async reauthOptions(viewer: { userId: string; sessionId: string }) {
      return requestOptions(
        'passkey_reauth',
        { userId: viewer.userId, sessionId: viewer.sessionId },
        await store.listForUser(viewer.userId),
        'required',
      );
    },

    /** An assertion by one of the account's passkeys for this session's reauthentication. */
    async reauth(viewer: { userId: string; sessionId: string }, input: unknown): Promise<string[]> {
      const { row, amr } = await verifyAssertion(input, ['passkey_reauth'], true);
      if (row.sessionId !== viewer.sessionId) throw invalid();
      return amr;
    },

    list: (userId: string) => store.listForUser(userId),
    async rename(userId: string, id: string, name: string): Promise<PasskeyRow> {
      const label = checkPasskeyName(name);
      const row = UUID.test(id) ? await store.rename(id, userId, label) : undefined;
      if (!row) throw new AuthError('BAD_USER_INPUT', 'No such passkey', { field: 'id' });
      return row;
    },
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;

/** Load the WebAuthn library ahead of the first ceremony (a server calls it once it listens). */
export const warmUpPasskeys = async () => {
  await webauthn();
};
