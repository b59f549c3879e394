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
 * (in the fragment: never sent to a server). Taken once, then wiped from the address bar.
 */
function fromFragment(): PendingSignIn | null {
  if (typeof window === 'undefined' || !window.location.hash) return null;
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const challenge = fragment.get('challenge');
  if (!challenge) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  const methods = (fragment.get('methods') ?? '').split(',').filter(Boolean) as SecondFactorMethod[];
  pending = { challenge, methods };
  return pending;
}

export const pendingSignIn = () => pending ?? fromFragment();
