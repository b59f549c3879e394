/**
 * The `verifyToken` operation: whether a token would be accepted as a bearer
 * (access) token now, and what it is. A refresh token is never `valid` here, so a
 * service that looks only at `valid` cannot take one for an access token
 * (API.md §4.1). Changes nothing and makes no database query.
 */
import { decodeProtectedHeader } from 'jose';
import { isAuthError } from './errors.js';
import type { Revocations } from './revocations.js';
import { ACCESS_TYP, REFRESH_TYP, type Tokens } from './tokens.js';

export interface TokenInfo {
  valid: boolean;
  tokenType: 'access' | 'refresh' | null;
  userId: string | null;
  expiresAt: Date | null;
  /** An error code of API.md §5 when not valid. */
  reason: string | null;
}

const codeOf = (e: unknown) => (isAuthError(e) ? e.code : 'TOKEN_INVALID');

export function createTokenInfo({ tokens, revocations }: { tokens: Tokens; revocations: Revocations }) {
  return {
    async inspect(token: string): Promise<TokenInfo> {
      let typ: unknown;
      try {
        typ = decodeProtectedHeader(token).typ;
      } catch {
        typ = undefined;
      }
      const tokenType = typ === ACCESS_TYP ? 'access' : typ === REFRESH_TYP ? 'refresh' : null;
      try {
        const claims = await tokens.verifyAccess(token);
        const revoked = revocations.refuses(claims);
        return {
          valid: !revoked,
          tokenType: 'access',
          userId: revoked ? null : claims.sub,
          expiresAt: new Date(claims.exp * 1000),
          reason: revoked ? 'TOKEN_REVOKED' : null,
        };
      } catch (e) {
        return { valid: false, tokenType, userId: null, expiresAt: null, reason: codeOf(e) };
      }
    },
  };
}
