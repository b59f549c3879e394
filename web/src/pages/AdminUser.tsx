import { type FormEvent, useCallback, useEffect, useState } from 'react';
import {
  type AdminUserDetail,
  type AuditEvent,
  auditEvents,
  deactivateUser,
  reactivateUser,
  revokeUserSession,
  revokeUserSessions,
  setUserRoles,
  unlockUser,
  user as fetchUser,
} from '../accountApi';
import { errorMessage } from '../auth/latchkey';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Shell';
import { useAction } from '../components/useAction';
import { Link, useLocation } from '../router';
import { describeDevice } from './Sessions';

const RECENT_EVENTS = 20;
const when = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

/** Admin: one user (/admin/users/:id) — sessions, roles, status, limits and recent audit events. */
export function AdminUser() {
  const { path } = useLocation();
  const id = decodeURIComponent(path.slice('/admin/users/'.length));
  const [found, setFound] = useState<AdminUserDetail | null | undefined>(undefined);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [roles, setRoles] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();

  const load = useCallback(async () => {
    try {
      const [u, log] = await Promise.all([fetchUser(id), auditEvents({ userId: id, first: RECENT_EVENTS })]);
      setFound(u);
      setEvents(log.edges.map((e) => e.node));
      if (u) setRoles(u.roles.join(', '));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [id, setError]);
  useEffect(() => void load(), [load]);

  const act = (work: () => Promise<unknown>, done: string) => {
    setNotice(null);
    return run(async () => {
      await work();
      setNotice(done);
      await load();
    });
  };

  const saveRoles = (event: FormEvent) => {
    event.preventDefault();
    const list = [...new Set(roles.split(/[\s,]+/).filter(Boolean))];
    void act(() => setUserRoles(id, list), 'Roles saved.');
  };

  if (found === null) return <p>No user with this id.</p>;
  return (
    <>
      <p>
        <Link href="/admin/users">← All users</Link>
      </p>
      <h1>{found?.email ?? 'User'}</h1>
      <ErrorAlert error={error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {found && (
        <>
          <section className="panel" aria-labelledby="account-title">
            <h2 id="account-title">Account</h2>
            <dl>
              <dt>Display name</dt>
              <dd>{found.profile.displayName ?? '—'}</dd>
              <dt>Username</dt>
              <dd>{found.username ?? '—'}</dd>
              <dt>Email confirmed</dt>
              <dd>{found.emailVerified ? 'Yes' : 'No'}</dd>
              <dt>Created</dt>
              <dd>{when(found.createdAt)}</dd>
              <dt>Last sign-in</dt>
              <dd>{when(found.lastLoginAt)}</dd>
              <dt>Status</dt>
              <dd>{found.isActive ? 'Active' : 'Deactivated'}</dd>
            </dl>
            {found.isActive ? (
              <button
                type="button"
                className="button danger"
                disabled={busy}
                onClick={() => void act(() => deactivateUser(id), 'Deactivated: every session ended.')}
              >
                Deactivate
              </button>
            ) : (
              <button
                type="button"
                className="button primary"
                disabled={busy}
                onClick={() => void act(() => reactivateUser(id), 'Reactivated.')}
              >
                Reactivate
              </button>
            )}{' '}
            <button
              type="button"
              className="button secondary"
              disabled={busy}
              onClick={() => void act(() => unlockUser(id), 'Unlocked: sign-in and code limits cleared.')}
            >
              Unlock
            </button>
          </section>

          <section className="panel" aria-labelledby="roles-title">
            <h2 id="roles-title">Roles</h2>
            <form onSubmit={saveRoles}>
              <Field
                id="roles"
                label="Role names"
                hint="Separated by commas, e.g. admin, support."
                value={roles}
                onChange={(e) => setRoles(e.target.value)}
              />
              <button type="submit" className="button primary" disabled={busy}>
                Save roles
              </button>
            </form>
          </section>

          <section className="panel table-wrap" aria-labelledby="user-sessions-title">
            <h2 id="user-sessions-title">Sessions</h2>
            {found.sessions.length === 0 ? (
              <p>No live sessions.</p>
            ) : (
              <table className="sessions">
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">Signed in</th>
                    <th scope="col">Last active</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {found.sessions.map((s) => (
                    <tr key={s.id}>
                      <td title={s.userAgent ?? undefined}>
                        {describeDevice(s.userAgent)}
                        {s.ip && <span className="muted small">{s.ip}</span>}
                      </td>
                      <td>{when(s.createdAt)}</td>
                      <td>{when(s.lastUsedAt)}</td>
                      <td className="row-action">
                        <button
                          type="button"
                          className="button danger small"
                          disabled={busy}
                          onClick={() => void act(() => revokeUserSession(s.id), 'Session revoked.')}
                        >
                          Revoke
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {found.sessions.length > 1 && (
              <button
                type="button"
                className="button danger"
                disabled={busy}
                onClick={() => void act(() => revokeUserSessions(id), 'Every session revoked.')}
              >
                Revoke all sessions
              </button>
            )}
          </section>

          <section className="panel" aria-labelledby="events-title">
            <h2 id="events-title">Recent events</h2>
            {events.length === 0 ? (
              <p>No events.</p>
            ) : (
              <ul aria-label="Recent events" className="events">
                {events.map((e) => (
                  <li key={e.id}>
                    <strong>{e.type}</strong> · {when(e.at)}
                    {e.actorId && e.actorId !== e.userId && <span className="muted"> · by admin {e.actorId}</span>}
                    {e.ip && <span className="muted"> · {e.ip}</span>}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}
