/**
 * IDs taken as arguments are UUIDs (every id Latchkey makes is one). Anything else
 * is BAD_USER_INPUT at the door: PostgreSQL would refuse it inside a query as an
 * internal error, with a stack in the logs for each request.
 *
 * @example
 *   uuidArg(args.id, 'id'); // '0b6c…-…' or throws AuthError('BAD_USER_INPUT')
 */
import { AuthError } from '../auth/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuidArg(value: string | number, field: string): string {
  const id = String(value);
  if (!UUID.test(id)) throw new AuthError('BAD_USER_INPUT', `${field} must be a UUID`, { field });
  return id.toLowerCase();
}
