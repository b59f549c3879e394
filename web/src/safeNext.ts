/**
 * Where `/login?next=…` may send a person after signing in: a path on this
 * site, judged the way the browser reads it. The URL parser drops tabs and line
 * breaks, takes `\` for `/`, decodes `%2e` and resolves dot segments — so
 * `/.//evil.example/`, `/%2e//evil.example`, `/a/..//evil.example` and
 * `/./\evil.example` all become the path `//evil.example/`, which the History
 * API refuses (another origin) and which would leave a blank page. Anything that
 * is not a same-origin path, or whose normalised path starts with `//` or `/\`,
 * falls back.
 *
 * @example
 *   safeNext('/profile?tab=1', 'https://auth.example.com');   // '/profile?tab=1'
 *   safeNext('/.//evil.example/', 'https://auth.example.com'); // '/'
 */
export function safeNext(next: string | null | undefined, origin: string, fallback = '/'): string {
  if (!next?.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback; // e.g. `//[oops`: a host that does not parse
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  const target = url.pathname + url.search + url.hash;
  return /^\/[/\\]/.test(url.pathname) ? fallback : target;
}
