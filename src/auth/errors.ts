/**
 * AuthError: the one error type services throw. Its `code` is one of the
 * codes of API.md §5 and becomes `extensions.code` in GraphQL responses.
 *
 * @example
 *   throw new AuthError('TOKEN_REUSED', 'Refresh token was already used');
 */
export const errorCodes = [
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'TOKEN_REUSED',
  'SESSION_EXPIRED',
  'OTP_INVALID',
  'RATE_LIMITED',
  'BAD_USER_INPUT',
  'EMAIL_TAKEN',
  'FORBIDDEN',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
  'EMAIL_NOT_VERIFIED',
  // API.md §11 (second factors and passkeys)
  'SECOND_FACTOR_REQUIRED',
  'SECOND_FACTOR_ENROLLMENT_REQUIRED',
  'REAUTH_REQUIRED',
  'CHALLENGE_INVALID',
  'PASSKEY_INVALID',
  // API.md §11 (external providers, §9.1)
  'ACCOUNT_EXISTS',
  'LAST_SIGN_IN_METHOD',
  'PROVIDER_ERROR',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

const defaultMessages: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'Authentication required',
  INVALID_CREDENTIALS: 'Invalid email or password',
  TOKEN_INVALID: 'Token is invalid',
  TOKEN_EXPIRED: 'Token has expired',
  TOKEN_REVOKED: 'Token has been revoked',
  TOKEN_REUSED: 'Refresh token was already used; the session has been revoked',
  SESSION_EXPIRED: 'Session has expired',
  OTP_INVALID: 'Code is invalid or expired',
  RATE_LIMITED: 'Too many attempts; try again later',
  BAD_USER_INPUT: 'Invalid input',
  EMAIL_TAKEN: 'An account with this email already exists',
  FORBIDDEN: 'Not allowed',
  INTERNAL_SERVER_ERROR: 'Internal server error',
  SERVICE_UNAVAILABLE: 'Service busy; try again shortly',
  EMAIL_NOT_VERIFIED: 'Confirm your email address: sign in with your password and the code we mailed you',
  SECOND_FACTOR_REQUIRED: 'A second factor is required to finish signing in',
  SECOND_FACTOR_ENROLLMENT_REQUIRED: 'Set up a second factor to finish signing in',
  REAUTH_REQUIRED: 'Confirm it is you: sign in again to do this',
  CHALLENGE_INVALID: 'This sign-in step has expired or was already used; start again',
  PASSKEY_INVALID: 'The passkey could not be verified',
  ACCOUNT_EXISTS:
    'An account with this email already exists. Sign in the usual way, then link this provider from the security page',
  LAST_SIGN_IN_METHOD:
    'This is the last way to sign in to the account: add a password, a passkey or another provider first',
  PROVIDER_ERROR: 'The sign-in provider could not be reached or gave an answer we cannot use; try again later',
};

/** Seconds a client is told to wait before retrying a SERVICE_UNAVAILABLE. */
export const UNAVAILABLE_RETRY_AFTER = 1;

/** The server cannot answer right now (the database overloaded, stalled or away); nothing was done: retry. */
export const unavailable = () =>
  new AuthError('SERVICE_UNAVAILABLE', defaultMessages.SERVICE_UNAVAILABLE, { retryAfter: UNAVAILABLE_RETRY_AFTER });

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: ErrorCode,
    message: string = defaultMessages[code],
    /** Extra fields for `extensions` (e.g. `retryAfter`, `field`). Never secrets. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const isAuthError = (e: unknown): e is AuthError => e instanceof AuthError;
