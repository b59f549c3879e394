/**
 * One GraphQL-over-HTTP request: JSON POST, cookies included (the refresh
 * cookie is HttpOnly and scoped to the GraphQL path), bearer token attached
 * when given. GraphQL errors become a LatchkeyError with the first error's code.
 */
import { LatchkeyError } from './errors.js';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

/**
 * @example
 *   const data = await postGraphQL<{ me: { id: string } | null }>(fetch, '/graphql', '{ me { id } }', {}, token);
 */
export async function postGraphQL<T>(
  fetchFn: Fetch,
  endpoint: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  token: string | null,
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetchFn(endpoint, {
      method: 'POST',
      headers,
      credentials: 'include',
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new LatchkeyError('NETWORK_ERROR', `Could not reach the server: ${(e as Error).message}`);
  }
  let body: GraphQLBody<T>;
  try {
    body = (await response.json()) as GraphQLBody<T>;
  } catch {
    throw new LatchkeyError(
      response.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'NETWORK_ERROR',
      `Unexpected response (HTTP ${response.status})`,
    );
  }
  const first = body.errors?.[0];
  if (first) {
    const { code = 'INTERNAL_SERVER_ERROR', ...extensions } = first.extensions ?? {};
    throw new LatchkeyError(String(code), first.message, extensions);
  }
  if (!body.data) throw new LatchkeyError('INTERNAL_SERVER_ERROR', `Empty response (HTTP ${response.status})`);
  return body.data;
}
