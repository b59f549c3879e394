/**
 * web/src/safeNext.ts: where `/login?next=…` may lead, judged as the browser's
 * URL parser reads the value (dot segments, `%2e`, backslashes, tabs).
 */
import { describe, expect, it } from 'vitest';
import { safeNext } from '../../../web/src/safeNext.js';

const ORIGIN = 'https://auth.example.com';

describe('safeNext', () => {
  it('follows paths of this site, with their query and fragment, normalised', () => {
    expect(safeNext('/profile', ORIGIN)).toBe('/profile');
    expect(safeNext('/sessions?from=mail#top', ORIGIN)).toBe('/sessions?from=mail#top');
    expect(safeNext('/a/../profile', ORIGIN)).toBe('/profile');
    expect(safeNext('/./profile', ORIGIN)).toBe('/profile');
  });

  it('falls back to / for anything that normalises to another origin or a path starting // or /\\', () => {
    for (const next of [
      '/.//evil.example/',
      '/%2e//evil.example',
      '/%2E//evil.example',
      '/a/..//evil.example',
      '/./\\evil.example',
      '//evil.example/phish',
      '/\\evil.example',
      '/\t/evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '//[oops',
      'profile',
      '',
      null,
    ]) {
      expect(safeNext(next, ORIGIN), JSON.stringify(next)).toBe('/');
    }
  });

  it('takes another fallback when given one', () => {
    expect(safeNext('/.//evil.example/', ORIGIN, '/dashboard')).toBe('/dashboard');
  });

  it('follows an absolute URL on one of REDIRECT_ORIGINS, and nothing else off this site', () => {
    const apps = ['https://app.example.com'];
    expect(safeNext('https://app.example.com/x?y=1#z', ORIGIN, '/', apps)).toBe('https://app.example.com/x?y=1#z');
    expect(safeNext('https://APP.example.com', ORIGIN, '/', apps)).toBe('https://app.example.com/');
    for (const next of [
      'https://app.example.com.evil.example/',
      'https://app.example.com:8443/',
      'http://app.example.com/',
      'https://evil.example/?https://app.example.com',
      'javascript:https://app.example.com/',
      '//app.example.com/x',
      'https://user@evil.example/',
    ]) {
      expect(safeNext(next, ORIGIN, '/', apps), next).toBe('/');
    }
    expect(safeNext('https://app.example.com/x', ORIGIN)).toBe('/');
  });
});
