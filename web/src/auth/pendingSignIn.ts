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

/**
 * Under MFA_REQUIRED: the enrolment challenge of SECOND_FACTOR_ENROLLMENT_REQUIRED, carried to
 * /login/enroll (in memory too: it lets its holder set up the account's first factor).
 */
let enrollment: string | null = null;

export const setPendingEnrollment = (challenge: string | null) => {
  enrollment = challenge;
};
export const pendingEnrollment = () => enrollment;
