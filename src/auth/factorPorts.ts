/**
 * The storage the second-factor and passkey parts of the domain need: declared here, as plain
 * types and interfaces, and implemented in `src/store/repositories/` (challenges.ts,
 * factors.ts, passkeys.ts). Every state change that guards a single use is atomic in the
 * implementation (`UPDATE … WHERE consumed_at IS NULL RETURNING`), never read-then-write.
 */

export type ChallengeKind =
  /** After a first factor, before the second (SECOND_FACTOR_REQUIRED). */
  | 'second_factor'
  /** After a first factor under MFA_REQUIRED, for an account without a factor. */
  | 'enrollment'
  /** WebAuthn challenges, one per ceremony. */
  | 'passkey_signin'
  | 'passkey_second'
  | 'passkey_register'
  | 'passkey_reauth'
  /** The `state` of an external sign-in (oauthFlow.ts): single use, so a callback cannot be replayed. */
  | 'oauth_state';

export interface ChallengeRow {
  id: string;
  kind: ChallengeKind;
  userId: string | null;
  parentId: string | null;
  sessionId: string | null;
  amr: string[];
  rememberMe: boolean;
  provenAt: Date | null;
  failures: number;
  expiresAt: Date;
}

export interface NewChallenge {
  hash: string;
  kind: ChallengeKind;
  userId: string | null;
  parentId?: string | null;
  sessionId?: string | null;
  amr?: string[];
  rememberMe?: boolean;
  createdAt: Date;
  expiresAt: Date;
}

export interface ChallengeStore {
  create(challenge: NewChallenge): Promise<string>;
  /** The live (unconsumed, unexpired) challenge with this hash and one of these kinds. */
  findLive(hash: string, kinds: ChallengeKind[], now: Date): Promise<ChallengeRow | undefined>;
  /** Use it up, atomically: the row if this call consumed it, else undefined. */
  consume(hash: string, kinds: ChallengeKind[], now: Date): Promise<ChallengeRow | undefined>;
  /** Count a failed check; returns the new count. */
  fail(id: string): Promise<number>;
  /** Kill a challenge (limit reached, or its purpose is over). */
  kill(id: string, now: Date): Promise<void>;
  /** Enrolment under this challenge proved a new factor: record it and the methods it adds. */
  markProven(id: string, now: Date, amr: string[]): Promise<void>;
  /** Delete challenges that expired before `before`; returns how many. */
  flushExpired(before: Date): Promise<number>;
}

export interface TotpRow {
  userId: string;
  /** Sealed (see sealer.ts) or plain base32. */
  secret: string;
  enabledAt: Date | null;
  lastStep: number | null;
}

export interface RecoveryCodeRow {
  id: string;
  salt: string;
  codeHash: string;
}

/** What an account can prove besides its first factor, in one query (asked on every sign-in). */
export interface FactorSummary {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

export interface FactorStore {
  summary(userId: string): Promise<FactorSummary>;
  totp(userId: string): Promise<TotpRow | undefined>;
  /** Store a pending (not yet enabled) secret, replacing a pending one; false if TOTP is already on. */
  savePendingTotp(userId: string, secret: string, now: Date): Promise<boolean>;
  /** Turn the pending secret on, recording the step of the code that proved it. */
  enableTotp(userId: string, step: number, now: Date): Promise<boolean>;
  /** Accept `step` only if it is later than the last accepted one (atomic: replay refused). */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  replaceRecoveryCodes(userId: string, codes: { salt: string; codeHash: string }[], now: Date): Promise<void>;
  unusedRecoveryCodes(userId: string): Promise<RecoveryCodeRow[]>;
  useRecoveryCode(id: string, now: Date): Promise<boolean>;
  /**
   * Remove TOTP or one passkey, and the recovery codes with it when no factor is left. With
   * `keepOne` (MFA_REQUIRED) the account's last factor stays ('last'). One transaction under a
   * lock on the account's row, so two removals at once cannot both see "one more left".
   */
  removeFactor(userId: string, factor: FactorToRemove, keepOne: boolean): Promise<'removed' | 'absent' | 'last'>;
}

export type FactorToRemove = { kind: 'totp' } | { kind: 'passkey'; id: string };

export interface PasskeyRow {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[] | null;
  deviceType: string;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<PasskeyRow, 'id' | 'lastUsedAt'>;

export interface PasskeyStore {
  /** Undefined when the credential is registered already. */
  add(passkey: NewPasskey): Promise<PasskeyRow | undefined>;
  byCredentialId(credentialId: string): Promise<PasskeyRow | undefined>;
  listForUser(userId: string): Promise<PasskeyRow[]>;
  recordUse(id: string, counter: number, backedUp: boolean, now: Date): Promise<void>;
  rename(id: string, userId: string, name: string): Promise<PasskeyRow | undefined>;
}
