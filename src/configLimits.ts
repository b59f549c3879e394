/**
 * The rate limits of API.md §2 and §7 (`RATE_LIMIT_*`, docs/abuse-controls.md), each a
 * count per window. Parsed with the rest in `loadConfig` (src/config.ts); kept apart so
 * that file stays small.
 */
import { type Rate, rate, type ParsedVariables } from './configValues.js';

export const limitVariables = {
  RATE_LIMIT_LOGIN_ACCOUNT: [rate, '10/15m'],
  RATE_LIMIT_LOGIN_IP: [rate, '100/15m'],
  RATE_LIMIT_OTP_REQUEST_EMAIL: [rate, '5/15m'],
  RATE_LIMIT_OTP_REQUEST_IP: [rate, '100/15m'],
  RATE_LIMIT_OTP_VERIFY_EMAIL: [rate, '10/15m'],
  RATE_LIMIT_OTP_VERIFY_IP: [rate, '100/15m'],
  RATE_LIMIT_REFRESH_IP: [rate, '300/1m'],
  RATE_LIMIT_REGISTER_IP: [rate, '1000/1h'],
  RATE_LIMIT_MFA_ACCOUNT: [rate, '5/15m'],
} as const;

/** Each rate limit by name; keys are what is counted (an account, an address). */
export interface RateLimits {
  /** Failed logins per account (email), from any address. */
  loginAccount: Rate;
  /** Failed logins per client address. */
  loginIp: Rate;
  otpRequestEmail: Rate;
  otpRequestIp: Rate;
  /** Code checks (verifyOtp, verifyEmail, resetPassword) per email. */
  otpVerifyEmail: Rate;
  otpVerifyIp: Rate;
  refreshIp: Rate;
  registerIp: Rate;
  /** Failed second-factor checks per account (a challenge dies when they reach the limit). */
  mfaAccount: Rate;
}

type Parsed = ParsedVariables<typeof limitVariables>;

export function rateLimitsConfig(p: Parsed): RateLimits {
  return {
    loginAccount: p.RATE_LIMIT_LOGIN_ACCOUNT,
    loginIp: p.RATE_LIMIT_LOGIN_IP,
    otpRequestEmail: p.RATE_LIMIT_OTP_REQUEST_EMAIL,
    otpRequestIp: p.RATE_LIMIT_OTP_REQUEST_IP,
    otpVerifyEmail: p.RATE_LIMIT_OTP_VERIFY_EMAIL,
    otpVerifyIp: p.RATE_LIMIT_OTP_VERIFY_IP,
    refreshIp: p.RATE_LIMIT_REFRESH_IP,
    registerIp: p.RATE_LIMIT_REGISTER_IP,
    mfaAccount: p.RATE_LIMIT_MFA_ACCOUNT,
  };
}
