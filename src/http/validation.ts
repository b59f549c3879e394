/**
 * GraphQL validation rules that protect the server before anything executes:
 * a cap on aliases (no thousand-field amplification), at most one
 * credential-checking field per document (no password or code guessing in
 * bulk through aliases), no U+0000 in string literals (PostgreSQL cannot store
 * it; variables are checked by src/http/transport.ts), and no introspection in
 * production.
 */
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';

/** Mutation fields that check a password, a code, a passkey assertion or a refresh token. */
export const credentialFields = new Set([
  'login',
  'register',
  'refreshToken',
  'changePassword',
  'verifyOtp',
  'verifyEmail',
  'resetPassword',
  'requestOtp',
  // Part two: second factors, reauthentication and the codes of account changes.
  'completeSignIn',
  'reauthenticate',
  'finishPasskeySignIn',
  'confirmTotpEnrollment',
  'confirmEmailChange',
]);

export function maxAliases(max: number): ValidationRule {
  return (context) => {
    let count = 0;
    return {
      Field(node) {
        if (node.alias && ++count === max + 1) {
          context.reportError(new GraphQLError(`Too many aliases: at most ${max} per document`, { nodes: [node] }));
        }
      },
    };
  };
}

export const oneCredentialField: ValidationRule = (context) => {
  let seen = 0;
  return {
    Field(node) {
      if (context.getParentType()?.name === 'Mutation' && credentialFields.has(node.name.value) && ++seen === 2) {
        context.reportError(
          new GraphQLError(`At most one of ${[...credentialFields].join(', ')} per request`, { nodes: [node] }),
        );
      }
    },
  };
};

/** A string literal such as `"a\u0000b"` in the document itself. */
export const noNulInStrings: ValidationRule = (context) => ({
  StringValue(node) {
    if (node.value.includes('\u0000'))
      context.reportError(new GraphQLError('Text must not contain NUL (U+0000) characters', { nodes: [node] }));
  },
});

export function validationRules(options: { maxAliases: number; production: boolean }): ValidationRule[] {
  const rules = [maxAliases(options.maxAliases), oneCredentialField, noNulInStrings];
  if (options.production) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}
