/**
 * A WebAuthn response as it arrives (the JSON a browser's `PublicKeyCredential.toJSON()` gives):
 * checked for shape and size before any lookup, and its challenge read from clientDataJSON.
 * Anything malformed is PASSKEY_INVALID; something huge is BAD_USER_INPUT.
 */
import { AuthError } from './errors.js';

/** Far above any real response (attestation objects are a few kB), far below a flood. */
export const MAX_RESPONSE_BYTES = 32 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const B64URL = /^[A-Za-z0-9_-]+$/;

export function parseCredentialResponse<T>(
  input: unknown,
  type: 'webauthn.get' | 'webauthn.create',
): { response: T; challenge: string } {
  const invalid = () => new AuthError('PASSKEY_INVALID');
  if (JSON.stringify(input ?? null).length > MAX_RESPONSE_BYTES)
    throw new AuthError('BAD_USER_INPUT', 'The passkey response is too large', { field: 'response' });
  if (
    !isObject(input) ||
    input.type !== 'public-key' ||
    typeof input.id !== 'string' ||
    !B64URL.test(input.id) ||
    !isObject(input.response)
  )
    throw invalid();
  const clientDataJSON = input.response.clientDataJSON;
  if (typeof clientDataJSON !== 'string' || !B64URL.test(clientDataJSON)) throw invalid();
  let clientData: unknown;
  try {
    clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isObject(clientData) || clientData.type !== type || typeof clientData.challenge !== 'string') throw invalid();
  return { response: input as T, challenge: clientData.challenge };
}
