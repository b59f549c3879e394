/**
 * Something a whole suite shares (a server, the domain): started before the
 * suite's tests, stopped after them. Returns a stand-in that forwards to it,
 * usable inside tests (and hooks declared after this call).
 *
 * @example
 *   const d = perSuite(() => startDomain(), (domain) => domain.close());
 *   it('…', () => expect(d.keys.jwks()).toBeDefined());
 */
import { afterAll, beforeAll } from 'vitest';

export function perSuite<T extends object>(start: () => Promise<T>, stop: (value: T) => Promise<void>): T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  afterAll(async () => {
    if (value) await stop(value);
  });
  const current = (): T => {
    if (!value) throw new Error('a per-suite value exists only inside the suite’s tests and later hooks');
    return value;
  };
  // Reading a member, spreading ({ ...d }) and `in` all see the started value.
  return new Proxy({} as T, {
    get: (_, name) => Reflect.get(current(), name),
    has: (_, name) => Reflect.has(current(), name),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_, name) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), name);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

/** A value, or a function that makes it when the suite starts (for what earlier hooks set up). */
export type Later<T> = T | (() => T);

/** The value of a `Later`, made now. */
export const resolveLater = <T extends object>(value: Later<T>): T =>
  typeof value === 'function' ? (value as () => T)() : value;
