/**
 * A software WebAuthn authenticator (ES256, attestation "none"): makes registration and
 * assertion responses as a browser would hand them to `PublicKeyCredential.toJSON()`, signed
 * with a key held in memory. The tests use it to drive the server's passkey ceremonies over
 * HTTP, and the bench to measure the server side of a passkey sign-in.
 *
 * @example
 *   const key = await softAuthenticator({ origin: 'http://localhost:4000', rpId: 'localhost' });
 *   const registration = key.register(creationOptions);   // → finishPasskeyRegistration
 *   const assertion = key.assert(requestOptions);         // → finishPasskeySignIn
 */
import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { isoCBOR } from '@simplewebauthn/server/helpers';

export interface SoftAuthenticatorOptions {
  origin: string;
  rpId: string;
  /** Flags of each response: user verified (default true), backed up (a synced passkey; default false). */
  userVerified?: boolean;
  backedUp?: boolean;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export async function softAuthenticator(options: SoftAuthenticatorOptions) {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' });
  const jwk = (publicKey as KeyObject).export({ format: 'jwk' });
  const credentialId = randomBytes(16);
  let counter = 0;
  let userHandle: string | undefined;
  const state = {
    userVerified: options.userVerified ?? true,
    backedUp: options.backedUp ?? false,
    origin: options.origin,
    rpId: options.rpId,
  };

  const flags = (attested: boolean) =>
    0x01 | (state.userVerified ? 0x04 : 0) | (state.backedUp ? 0x18 : 0) | (attested ? 0x40 : 0);
  const clientData = (type: string, challenge: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin: state.origin, crossOrigin: false }));

  return {
    /** Change what later responses say (a different origin, RP ID or flag). */
    state,
    credentialId: b64(credentialId),

    /** A RegistrationResponseJSON for PublicKeyCredentialCreationOptionsJSON. */
    register(creation: { challenge: string; user?: { id: string } }) {
      userHandle = creation.user?.id;
      const cose = new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credentialId.length);
      const authData = Buffer.concat([
        sha256(state.rpId),
        Buffer.from([flags(true)]),
        u32(counter),
        Buffer.alloc(16),
        idLength,
        credentialId,
        Buffer.from(isoCBOR.encode(cose)),
      ]);
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]) as never,
      );
      return {
        id: b64(credentialId),
        rawId: b64(credentialId),
        type: 'public-key',
        response: {
          clientDataJSON: b64(clientData('webauthn.create', creation.challenge)),
          attestationObject: b64(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    /** An AuthenticationResponseJSON for PublicKeyCredentialRequestOptionsJSON (counter + 1). */
    assert(request: { challenge: string }) {
      counter += 1;
      const authData = Buffer.concat([sha256(state.rpId), Buffer.from([flags(false)]), u32(counter)]);
      const client = clientData('webauthn.get', request.challenge);
      const signature = sign('sha256', Buffer.concat([authData, sha256(client)]), {
        key: privateKey as KeyObject,
        dsaEncoding: 'der',
      });
      return {
        id: b64(credentialId),
        rawId: b64(credentialId),
        type: 'public-key',
        response: {
          clientDataJSON: b64(client),
          authenticatorData: b64(authData),
          signature: b64(signature),
          userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}

export type SoftAuthenticator = Awaited<ReturnType<typeof softAuthenticator>>;
