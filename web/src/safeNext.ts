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
 * An absolute http(s) URL is followed when its origin is one of REDIRECT_ORIGINS (the
 * hosted sign-in page of other apps), as the parser reads it (`url.href`, not `next`).
 *
 * @example
 *   safeNext('/profile?tab=1', 'https://auth.example.com');   // '/profile?tab=1'
 *   safeNext('https://app.example.com/x', 'https://auth.example.com', '/', ['https://app.example.com']); // 'https://app.example.com/x'
 *   safeNext('/.//evil.example/', 'https://auth.example.com'); // '/'
 */
export function safeNext(
  next: string | null | undefined,
  origin: string,
  fallback = '/',
  redirectOrigins: readonly string[] = [],
): string {
  if (next && !next.startsWith('/')) return otherApp(next, redirectOrigins) ?? fallback;
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

/** `next` as an absolute URL on one of `redirectOrigins`, or undefined. */
function otherApp(next: string, redirectOrigins: readonly string[]): string | undefined {
  if (!/^https?:\/\//i.test(next)) return undefined;
  try {
    const url = new URL(next);
    return redirectOrigins.includes(url.origin) ? url.href : undefined;
  } catch {
    return undefined;
  }
}
