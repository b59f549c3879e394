/**
 * The account settings of API.md §7 (`ADMIN_EMAILS`). Parsed with the rest in `loadConfig`
 * (src/config.ts); kept apart so that file stays small.
 */
import { z } from 'zod';
import type { ParsedVariables } from './configValues.js';
import { canonicalEmail } from './auth/email.js';

/** A comma list of addresses, each in its canonical form (src/auth/email.ts) so it matches the stored one exactly. */
const emailList = z.string().transform((value, ctx) => {
  const out: string[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      out.push(canonicalEmail(item));
    } catch {
      ctx.addIssue({ code: 'custom', message: `a comma list of email addresses (not ${JSON.stringify(item)})` });
      return z.NEVER;
    }
  }
  return out;
});

export const accountVariables = {
  ADMIN_EMAILS: [emailList, undefined],
} as const;

export interface AccountsConfig {
  /** Addresses whose accounts get the `admin` role once the address is verified. */
  adminEmails: string[];
}

type Parsed = ParsedVariables<typeof accountVariables>;

export function accountsConfig(p: Parsed): AccountsConfig {
  return { adminEmails: p.ADMIN_EMAILS ?? [] };
}
