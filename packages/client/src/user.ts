/** The signed-in person as the client keeps it, and the GraphQL selection that fills it. */
export interface LatchkeyUser {
  id: string;
  email: string;
  username: string | null;
  emailVerified: boolean;
  profile: { displayName: string | null; bio: string | null; avatarUrl: string | null };
}

export const USER_FIELDS = 'id email username emailVerified profile { displayName bio avatarUrl }';
export const AUTH_PAYLOAD_FIELDS = `accessToken accessTokenExpiresAt user { ${USER_FIELDS} }`;

export interface AuthPayload {
  accessToken: string;
  accessTokenExpiresAt: string;
  user: LatchkeyUser;
}
