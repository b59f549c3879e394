/** The Pothos schema builder and the request context every resolver sees. */
import SchemaBuilder from '@pothos/core';
import type DataLoader from 'dataloader';
import type { RequestMeta } from '../auth/audit.js';
import type { UserWithProfile } from '../auth/ports.js';
import type { AuthResult, Viewer } from '../auth/sessions.js';
import type { Services } from '../services.js';

/** The refresh-token cookie, as resolvers may touch it. */
export interface RefreshCookie {
  read(): string | undefined;
  set(result: AuthResult): void;
  clear(): void;
  /** A refresh with the cookie's token failed with `error`: the cookie layer decides whether it goes. */
  refused(error: unknown): void;
}

export interface GraphQLContext {
  services: Services;
  meta: RequestMeta;
  /** The bearer token's viewer; `null` without a bearer token; throws TOKEN_* for a bad one. */
  viewer(): Promise<Viewer | null>;
  /** Like viewer(), but UNAUTHENTICATED without a token. */
  requireViewer(): Promise<Viewer>;
  /** Per-request batching: a user and their profile in one query, however many fields ask. */
  loaders: { user: DataLoader<string, UserWithProfile | null> };
  refreshCookie: RefreshCookie;
  /** The short-lived cookie of an external sign-in (startOAuth), sent only to that provider's callback. */
  oauthStateCookie: { set(providerId: string, value: string): void };
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: Date; Output: Date }; JSON: { Input: unknown; Output: unknown } };
  DefaultFieldNullability: false;
}>({ defaultFieldNullability: false });

builder.scalarType('DateTime', {
  description: 'An ISO 8601 date-time in UTC',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const d = new Date(String(value));
    if (Number.isNaN(d.getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return d;
  },
});
