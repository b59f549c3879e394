/**
 * The account's everyday operations for the client (API.md §3): password reset and change,
 * confirming the address, the profile, the sessions, and what a token is. Named as their
 * GraphQL fields where there is one; the three code requests are `requestOtp` with its purpose.
 *
 * @example
 *   await latchkey.requestPasswordReset('ada@example.com');
 *   await latchkey.resetPassword({ email: 'ada@example.com', code: '042137', newPassword });
 *   const sessions = await latchkey.mySessions();
 *   await latchkey.revokeSession(sessions.find((s) => !s.current)!.id);
 */
import { LatchkeyError } from './errors.js';
import { fieldOf, userFieldOf } from './field.js';
import { SESSION_FIELDS, type UserSession } from './accounts.js';
import { USER_FIELDS, type LatchkeyUser } from './user.js';

export interface Profile {
  displayName: string | null;
  bio: string | null;
  avatarUrl: string | null;
  updatedAt: string;
}

/** A field left out is kept; `null` (or an empty string) clears it. */
export interface ProfileInput {
  displayName?: string | null;
  bio?: string | null;
  avatarUrl?: string | null;
}

/** The signed-in person as the server has them now (`me`). */
export interface CurrentUser extends LatchkeyUser {
  createdAt: string;
  lastLoginAt: string | null;
  roles: string[];
  profile: Profile;
}

/** What `tokenInfo` (and `verifyToken`) says of a token; `reason` when it is not valid. */
export interface TokenInfo {
  valid: boolean;
  tokenType: string | null;
  userId: string | null;
  expiresAt: string | null;
  reason: string | null;
}

export interface OwnAccountMethods {
  /** Mail a PASSWORD_RESET code (the answer is the same whether or not the address has an account). */
  requestPasswordReset(email: string): Promise<void>;
  /** Set a new password with the mailed code. Every session of the account ends. */
  resetPassword(input: { email: string; code: string; newPassword: string }): Promise<boolean>;
  /**
   * Mail a VERIFY_EMAIL code: to the signed-in person's address, or to `email` (signed out, with
   * REQUIRE_EMAIL_VERIFICATION, where the code then goes to `login({ …, code })`).
   */
  requestEmailVerification(email?: string): Promise<void>;
  /** Confirm the signed-in person's address with the mailed code; the user as they now are (every tab sees it). */
  verifyEmail(code: string): Promise<LatchkeyUser>;
  /**
   * The current password proves it is the person (it also counts as a recent sign-in). Other sessions
   * end unless `signOutOtherSessions: false`; this one stays. INVALID_CREDENTIALS when it is wrong.
   */
  changePassword(input: {
    currentPassword: string;
    newPassword: string;
    signOutOtherSessions?: boolean;
  }): Promise<boolean>;
  /** The signed-in person, fresh from the server (null when signed out). Does not change the cached user. */
  me(): Promise<CurrentUser | null>;
  /** Edit the profile; the cached user (every tab's) takes the new profile. */
  updateProfile(input: ProfileInput): Promise<Profile>;
  /** The live sessions of the signed-in person; `current` marks this one. */
  mySessions(): Promise<UserSession[]>;
  /** End one of the person's sessions (false: not theirs, or already ended). Ending this one signs every tab out. */
  revokeSession(id: string): Promise<boolean>;
  /** Whether a token (access or refresh) is good, and whose: `Query.tokenInfo`, as `verifyToken` answers. */
  tokenInfo(token: string): Promise<TokenInfo>;
}

interface Deps {
  anonymous<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  getUser(): LatchkeyUser | null;
  setUser(user: LatchkeyUser): void;
  /** The `sid` of the session this tab holds, if any. */
  sessionId(): string | null;
  signOut(reason: string): void;
}

const REQUEST_OTP = 'mutation LatchkeyRequestCode($e: String!, $p: OtpPurpose) { requestOtp(email: $e, purpose: $p) }';
const PROFILE_FIELDS = 'displayName bio avatarUrl updatedAt';

export function ownAccountMethods({
  anonymous,
  request,
  getUser,
  setUser,
  sessionId,
  signOut,
}: Deps): OwnAccountMethods {
  const one = fieldOf(request);
  const anyone = fieldOf(anonymous);
  const userField = userFieldOf(request, setUser);
  return {
    async requestPasswordReset(email) {
      await anonymous(REQUEST_OTP, { e: email, p: 'PASSWORD_RESET' });
    },
    resetPassword: ({ email, code, newPassword }) =>
      anyone(
        'resetPassword',
        'mutation LatchkeyResetPassword($e: String!, $c: String!, $n: String!) { resetPassword(email: $e, code: $c, newPassword: $n) }',
        { e: email, c: code, n: newPassword },
      ),
    async requestEmailVerification(email) {
      const to = email ?? getUser()?.email;
      if (!to) throw new LatchkeyError('UNAUTHENTICATED', 'Signed out: say which address to send the code to');
      await anonymous(REQUEST_OTP, { e: to, p: 'VERIFY_EMAIL' });
    },
    verifyEmail: (code) =>
      userField(
        'verifyEmail',
        `mutation LatchkeyVerifyEmail($c: String!) { verifyEmail(code: $c) { ${USER_FIELDS} } }`,
        { c: code },
      ),
    changePassword: ({ currentPassword, newPassword, signOutOtherSessions = true }) =>
      one(
        'changePassword',
        'mutation LatchkeyChangePassword($c: String!, $n: String!, $o: Boolean) { changePassword(currentPassword: $c, newPassword: $n, signOutOtherSessions: $o) }',
        { c: currentPassword, n: newPassword, o: signOutOtherSessions },
      ),
    me: () =>
      one(
        'me',
        `query LatchkeyMe { me { id email username emailVerified createdAt lastLoginAt roles profile { ${PROFILE_FIELDS} } } }`,
      ),
    async updateProfile(input) {
      const profile = await one<Profile>(
        'updateProfile',
        `mutation LatchkeyUpdateProfile($i: ProfileInput!) { updateProfile(input: $i) { ${PROFILE_FIELDS} } }`,
        { i: input },
      );
      const user = getUser();
      const { displayName, bio, avatarUrl } = profile;
      if (user) setUser({ ...user, profile: { ...user.profile, displayName, bio, avatarUrl } });
      return profile;
    },
    mySessions: () => one('mySessions', `query LatchkeySessions { mySessions { ${SESSION_FIELDS} } }`),
    async revokeSession(id) {
      const current = sessionId();
      const revoked = await one<boolean>(
        'revokeSession',
        'mutation LatchkeyRevokeSession($id: ID!) { revokeSession(id: $id) }',
        { id },
      );
      // The server cleared the refresh cookie with it: this tab and the others are signed out.
      if (revoked && id === current) signOut('SIGNED_OUT');
      return revoked;
    },
    tokenInfo: (token) =>
      anyone(
        'tokenInfo',
        'query LatchkeyTokenInfo($t: String!) { tokenInfo(token: $t) { valid tokenType userId expiresAt reason } }',
        { t: token },
      ),
  };
}
