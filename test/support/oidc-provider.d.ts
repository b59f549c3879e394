// oidc-provider ships no types; the tests use a small part of it (test/support/oidcProvider.ts).
declare module 'oidc-provider';
