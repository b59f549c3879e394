/**
 * The second step a first factor asked for, carried from /login (or /login/code) to
 * /login/verify. Kept in memory only: the challenge is a credential for five minutes.
 */
import type { SecondFactorMethod } from '@latchkey/client';

export interface PendingSignIn {
  challenge: string;
  methods: SecondFactorMethod[];
}

let pending: PendingSignIn | null = null;

export const setPendingSignIn = (value: PendingSignIn | null) => {
  pending = value;
};
/**
 * After an external provider the server sends the browser to `/login/verify#challenge=…&methods=…`
 * (or `/login/enroll#…` when the account must first set up a factor): in the fragment, never sent
 * to a server. Taken once, then wiped from the address bar.
 */
function takeFragment(): URLSearchParams | null {
  if (typeof window === 'undefined' || !window.location.hash) return null;
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (!fragment.get('challenge')) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return fragment;
}

function fromFragment(): PendingSignIn | null {
  const fragment = takeFragment();
  if (!fragment) return null;
  const methods = (fragment.get('methods') ?? '').split(',').filter(Boolean) as SecondFactorMethod[];
  pending = { challenge: fragment.get('challenge') as string, methods };
  return pending;
}

export const pendingSignIn = () => pending ?? fromFragment();

/**
 * Under MFA_REQUIRED: the enrolment challenge of SECOND_FACTOR_ENROLLMENT_REQUIRED, carried to
 * /login/enroll (in memory too: it lets its holder set up the account's first factor).
 */
let enrollment: string | null = null;

export const setPendingEnrollment = (challenge: string | null) => {
  enrollment = challenge;
};
export const pendingEnrollment = () => {
  enrollment ??= takeFragment()?.get('challenge') ?? null;
  return enrollment;
};
