/**
 * When a page comes back (the tab is shown again, the network returns), its
 * timers may have been throttled or its refresh may have failed offline: the
 * client checks its token then instead of waiting for the next request.
 */
export function onWake(listener: () => void): () => void {
  const doc = typeof document !== 'undefined' ? document : undefined;
  const win = typeof window !== 'undefined' ? window : undefined;
  const visible = () => {
    if (doc?.visibilityState === 'visible') listener();
  };
  doc?.addEventListener('visibilitychange', visible);
  win?.addEventListener('online', listener);
  return () => {
    doc?.removeEventListener('visibilitychange', visible);
    win?.removeEventListener('online', listener);
  };
}
