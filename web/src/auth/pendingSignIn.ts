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
export const pendingSignIn = () => pending;
