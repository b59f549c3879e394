/**
 * A very small router on the History API: the path and query as state, a
 * `navigate` function and a `<Link>`. The app has six pages; this is all the
 * routing it needs.
 */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';
import { safeNext as safeNextFor } from './safeNext';
import { serverSettings } from './settings';

const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};
window.addEventListener('popstate', notify);

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};
const snapshot = () => window.location.pathname + window.location.search;

/** `{ path, query }` of the current URL; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, window.location.origin);
  return { path: url.pathname, query: url.searchParams, href };
}

export function navigate(to: string, { replace = false } = {}): void {
  // Another app (one of REDIRECT_ORIGINS, vetted by safeNext): leave this one.
  if (/^https?:\/\//i.test(to)) return void (replace ? window.location.replace(to) : window.location.assign(to));
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
}

/**
 * A `next` value from the URL, followed only to a path on this site or to one of REDIRECT_ORIGINS
 * (see safeNext.ts); else the dashboard, which is where `/` sends a signed-in person (one step, not two).
 */
export function safeNext(next: string | null): string {
  return safeNextFor(next, window.location.origin, '/dashboard', serverSettings.redirectOrigins);
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}
