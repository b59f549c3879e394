import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { type AdminUser, users } from '../accountApi';
import { errorMessage } from '../auth/latchkey';
import { Link } from '../router';
import { ErrorAlert } from '../components/ErrorAlert';

const PAGE_SIZE = 50;
const when = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

/**
 * Admin: every user, 50 a page, searched (case-insensitive, email, username, display name) as one
 * types and on Enter. "Previous" goes back through the cursors already seen (Relay pages go forward).
 */
export function AdminUsers() {
  const [search, setSearch] = useState('');
  const [rows, setRows] = useState<AdminUser[] | null>(null);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const asked = useRef(0);

  const load = useCallback(async (term: string, after: string | undefined) => {
    // Only the newest question's answer is shown (typing sends one per keystroke).
    const mine = ++asked.current;
    setError(null);
    try {
      const page = await users({ search: term.trim() || undefined, first: PAGE_SIZE, after });
      if (mine !== asked.current) return;
      setRows(page.edges.map((e) => e.node));
      setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
    } catch (e) {
      if (mine === asked.current) setError(errorMessage(e));
    }
  }, []);

  // As one types: a new search starts again at the first page.
  useEffect(() => {
    setCursors([undefined]);
    void load(search, undefined);
  }, [search, load]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCursors([undefined]);
    void load(search, undefined);
  };
  const forward = () => {
    if (!next) return;
    setCursors([...cursors, next]);
    void load(search, next);
  };
  const back = () => {
    const earlier = cursors.slice(0, -1);
    setCursors(earlier);
    void load(search, earlier[earlier.length - 1]);
  };

  return (
    <>
      <h1>Users</h1>
      <search className="search">
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor="user-search">Search users</label>
            <input
              id="user-search"
              type="search"
              placeholder="Email, username or name"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
        </form>
      </search>
      <ErrorAlert error={error} />
      <div className="panel table-wrap">
        <table className="sessions">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Display name</th>
              <th scope="col">Roles</th>
              <th scope="col">Created</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows?.map((u) => (
              <tr key={u.id}>
                <td>
                  <Link href={`/admin/users/${encodeURIComponent(u.id)}`}>{u.email}</Link>
                </td>
                <td>{u.profile.displayName ?? ''}</td>
                <td>{u.roles.join(', ')}</td>
                <td>{when(u.createdAt)}</td>
                <td>{when(u.lastLoginAt)}</td>
                <td>{u.isActive ? 'Active' : 'Deactivated'}</td>
              </tr>
            ))}
            {rows && rows.length === 0 && (
              <tr>
                <td colSpan={6}>No users found.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button type="button" className="button secondary" disabled={cursors.length < 2} onClick={back}>
          Previous
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button type="button" className="button secondary" disabled={!next} onClick={forward}>
          Next
        </button>
      </nav>
    </>
  );
}
