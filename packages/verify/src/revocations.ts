/**
 * The revoked sessions a verifier refuses, kept in memory by polling Latchkey's
 * `GET /revocations` feed (bearer token) with the cursor each answer hands back.
 * An entry lives until its `until` (after which the token's own `exp` refuses it).
 */

export interface FeedOptions {
  /** `https://auth.example.com/revocations` */
  url: string;
  /** Latchkey's REVOCATION_FEED_TOKEN. */
  token: string;
  /** How often to ask for news (ms); default 1000. */
  intervalMs?: number;
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Told when a poll fails (the last known set stays in force). */
  onError?: (error: Error) => void;
}

interface FeedPage {
  revocations: { sid: string; until: string }[];
  cursor: string;
}

const PAGE = 500;

export function followRevocations(options: FeedOptions) {
  const revoked = new Map<string, number>();
  const fetchFn = options.fetch ?? globalThis.fetch;
  let cursor: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const poll = async () => {
    // Follow full pages at once: a burst of revocations is read to the end before the next wait.
    for (;;) {
      const url = new URL(options.url);
      url.searchParams.set('limit', String(PAGE));
      if (cursor !== undefined) url.searchParams.set('since', cursor);
      const res = await fetchFn(url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`revocation feed answered HTTP ${res.status}`);
      const page = (await res.json()) as FeedPage;
      for (const r of page.revocations) revoked.set(r.sid, Date.parse(r.until));
      cursor = page.cursor;
      if (page.revocations.length < PAGE) break;
    }
    const now = Date.now();
    for (const [sid, until] of revoked) if (until <= now) revoked.delete(sid);
  };

  const first = poll();
  const loop = () => {
    if (closed) return;
    timer = setTimeout(() => {
      poll().then(loop, (e: Error) => {
        options.onError?.(e);
        loop();
      });
    }, options.intervalMs ?? 1000);
    (timer as { unref?: () => void }).unref?.(); // Node: polling alone must not keep the process alive
  };
  first.then(loop, (e: Error) => {
    options.onError?.(e);
    loop();
  });

  return {
    /** Resolves once the first page has been read; rejects if that first read failed. */
    ready: () => first,
    has(sid: string): boolean {
      const until = revoked.get(sid);
      return until !== undefined && until > Date.now();
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
