/**
 * One GraphQL-over-HTTP request: JSON POST, cookies included (the refresh
 * cookie is HttpOnly and scoped to the GraphQL path), bearer token attached
 * when given. GraphQL errors become a LatchkeyError with the first error's code;
 * no answer in time is TIMEOUT, no connection NETWORK_ERROR.
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
  /** Give up after this long (a stalled server): error TIMEOUT, which ends nothing. */
  timeoutMs = 15_000,
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    response = await fetchFn(endpoint, {
      method: 'POST',
      headers,
      credentials: 'include',
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new LatchkeyError('TIMEOUT', `No answer within ${timeoutMs} ms`);
    throw new LatchkeyError('NETWORK_ERROR', `Could not reach the server: ${(e as Error).message}`);
  }
  let body: GraphQLBody<T>;
  try {
    body = (await response.json()) as GraphQLBody<T>;
  } catch {
    // A balancer or a stopping instance turning the request away: passing, and nothing was done.
    if ([502, 503, 504].includes(response.status))
      throw new LatchkeyError('SERVICE_UNAVAILABLE', `Server unavailable (HTTP ${response.status})`);
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
