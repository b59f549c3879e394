/**
 * Print the GraphQL schema as SDL: `npm run schema` writes `schema.graphql`, the
 * file tools (graphql-codegen, editors) read. test/integration/sdl.test.ts fails
 * when the committed file and the running schema differ.
 */
import { printSchema } from 'graphql';
import { graphqlSchema } from '../src/graphql/schema.js';

process.stdout.write(`${printSchema(graphqlSchema())}\n`);
