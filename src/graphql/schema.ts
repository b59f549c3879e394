/** The executable schema: every area registers its fields on the builder, then it is built once. */
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './types.js';
import './auth.js';
import './account.js';
import './sessions.js';
import './otp.js';
import './security.js';
import './signInSteps.js';
import './oauth.js';
import './tokenInfo.js';
import './accountLife.js';
import './admin.js';

builder.queryType({});
builder.mutationType({});

let schema: GraphQLSchema | undefined;
export function graphqlSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}
