/**
 * The second-factor settings (docs/second-factors.md): the WebAuthn relying party,
 * MFA_REQUIRED and REAUTH_MAX_AGE (the limit on failed second-factor checks,
 * RATE_LIMIT_MFA_ACCOUNT, is with the other limits in src/configLimits.ts).
 * Parsed with the rest in `loadConfig` (src/config.ts); kept apart so that file stays small.
 */
import { z } from 'zod';
import { bool, duration, type ParsedVariables } from './configValues.js';

export const securityVariables = {
  WEBAUTHN_RP_ID: [z.string().regex(/^[a-z0-9.-]+$/i, 'a host name such as example.com'), undefined],
  WEBAUTHN_RP_NAME: [z.string().min(1, 'a non-empty name').max(64, 'at most 64 characters'), 'Latchkey'],
  MFA_REQUIRED: [bool, 'false'],
  REAUTH_MAX_AGE: [duration(1000), '10m'],
} as const;

export interface SecurityConfig {
  /** The WebAuthn RP (origin: PUBLIC_URL), MFA_REQUIRED, REAUTH_MAX_AGE (docs/second-factors.md). */
  webauthnRpId: string;
  webauthnRpName: string;
  mfaRequired: boolean;
  reauthMaxAgeMs: number;
}

type Parsed = ParsedVariables<typeof securityVariables>;

/** The second-factor settings. */
export function securityConfig(p: Parsed, publicUrl: string): SecurityConfig {
  return {
    webauthnRpId: p.WEBAUTHN_RP_ID ?? new URL(publicUrl).hostname,
    webauthnRpName: p.WEBAUTHN_RP_NAME,
    mfaRequired: p.MFA_REQUIRED,
    reauthMaxAgeMs: p.REAUTH_MAX_AGE,
  };
}
