/**
 * How the client's method groups send an operation and take its one top-level field: the
 * request, then the answer under the field's name. Errors are the transport's LatchkeyError,
 * unchanged.
 */
import type { LatchkeyUser } from './user.js';

/** A GraphQL sender: `request` (with the bearer token) or `anonymous` (without). */
type Send = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/**
 * A function that sends an operation with `send` and answers its field `field`.
 *
 * @example
 *   const one = fieldOf(request);
 *   const sessions = await one<UserSession[]>('mySessions', 'query { mySessions { id } }');
 */
export function fieldOf(send: Send) {
  return async <T>(field: string, query: string, variables?: Record<string, unknown>): Promise<T> =>
    (await send<Record<string, T>>(query, variables))[field];
}

/**
 * The same for an operation whose field is the signed-in user as they now are: that user
 * becomes the cached one (every tab's) before it is answered.
 *
 * @example
 *   const userField = userFieldOf(request, setUser);
 *   const user = await userField('verifyEmail', `mutation($c: String!) { verifyEmail(code: $c) { ${USER_FIELDS} } }`, { c });
 */
export function userFieldOf(send: Send, setUser: (user: LatchkeyUser) => void) {
  const one = fieldOf(send);
  return async (field: string, query: string, variables?: Record<string, unknown>): Promise<LatchkeyUser> => {
    const user = await one<LatchkeyUser>(field, query, variables);
    setUser(user);
    return user;
  };
}
