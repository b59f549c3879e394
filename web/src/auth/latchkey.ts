/**
 * The app's one Latchkey client (same origin as the server) and what the
 * pages need around it. Everything about tokens lives in `@latchkey/client`;
 * the React side is `@latchkey/react` (the provider is in main.tsx).
 */
import { createLatchkeyClient, LatchkeyError } from '@latchkey/client';
import { serverSettings } from '../settings';

export { useSession } from '@latchkey/react';

export const latchkey = createLatchkeyClient({ url: '', graphqlPath: serverSettings.graphqlPath });

/** A sentence for a person, from any error the client throws. */
export function errorMessage(e: unknown): string {
  if (e instanceof LatchkeyError) {
    switch (e.code) {
      case 'INVALID_CREDENTIALS':
        return 'That email and password do not match an account.';
      case 'EMAIL_TAKEN':
        return 'An account with this email already exists. Sign in instead?';
      case 'OTP_INVALID':
        return 'That code is wrong or has expired. Check the latest email, or send a new code.';
      case 'RATE_LIMITED': {
        const wait = Number(e.extensions.retryAfter);
        return `Too many attempts. Try again${Number.isFinite(wait) && wait > 0 ? ` in ${Math.ceil(wait)} seconds` : ' later'}.`;
      }
      case 'PASSKEY_INVALID':
        return 'That passkey could not be used. Try again, or use another way to sign in.';
      case 'CHALLENGE_INVALID':
        return 'This sign-in step has expired. Please start again.';
      case 'FORBIDDEN':
        // The server says why (not an admin; the last factor where one is required).
        return e.message || 'You do not have access to this. Ask an administrator if you need it.';
      case 'REAUTH_REQUIRED':
        return 'Please confirm it’s you: sign in again and retry.';
      case 'NETWORK_ERROR':
        return 'Cannot reach the server. Check your connection and try again.';
      case 'BAD_USER_INPUT':
        return e.message;
      default:
        return e.message || 'Something went wrong. Please try again.';
    }
  }
  return 'Something went wrong. Please try again.';
}

/** Why the person was signed out, for the sign-in page; null when there is nothing to say. */
export function signOutMessage(reason: string | null): string | null {
  switch (reason) {
    case 'SIGNED_OUT':
      return 'You have signed out.';
    case 'TOKEN_REVOKED':
      return 'This session was ended (signed out from another device or tab). Please sign in again.';
    case 'TOKEN_REUSED':
      return 'For your safety this session was ended: a sign-in token was used twice. Please sign in again.';
    case 'SESSION_EXPIRED':
    case 'TOKEN_EXPIRED':
      return 'Your session has expired. Please sign in again.';
    default:
      return null;
  }
}
