import type { UserSession } from '@latchkey/client';
import { useCallback, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { ErrorAlert } from '../components/ErrorAlert';

/** "Chrome on Linux" from a user agent string; the full string is kept as a tooltip. */
export function describeDevice(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /node|undici/i.test(ua)
            ? 'Script'
            : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function Sessions() {
  const [rows, setRows] = useState<UserSession[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const mySessions = await latchkey.mySessions();
      setRows(
        [...mySessions].sort(
          (a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt),
        ),
      );
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => void load(), [load]);

  const revoke = async (id: string) => {
    setBusy(id);
    setError(null);
    try {
      await latchkey.revokeSession(id);
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <h1>Sessions</h1>
      <p className="lead">Devices where you are signed in. Revoke any you do not recognise.</p>
      <ErrorAlert error={error} />
      {rows === null ? (
        !error && <p className="muted">Loading sessions…</p>
      ) : (
        <div className="panel table-wrap">
          <table className="sessions">
            <caption className="visually-hidden">Your sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id} data-session-id={s.id}>
                  <td data-label="Device">
                    <span title={s.userAgent ?? undefined}>{describeDevice(s.userAgent)}</span>
                    {s.current && <span className="badge">This device</span>}
                    <span className="muted small">
                      {s.rememberMe ? 'Remembered' : 'Until the browser closes'} · signed in {when(s.createdAt)}
                    </span>
                  </td>
                  <td data-label="IP address">{s.ip ?? '—'}</td>
                  <td data-label="Last used">{when(s.lastUsedAt)}</td>
                  <td className="row-action">
                    {!s.current && (
                      <button
                        type="button"
                        className="button danger small"
                        disabled={busy === s.id}
                        onClick={() => void revoke(s.id)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="panel danger-zone">
        <div>
          <h2>End all sessions</h2>
          <p className="muted">Ends every session, including this one.</p>
        </div>
        <button type="button" className="button danger" onClick={() => void latchkey.logout({ everywhere: true })}>
          Sign out everywhere
        </button>
      </div>
    </>
  );
}
