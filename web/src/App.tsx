/**
 * Routing and the sign-in guard. The guard is the only place that moves a
 * person between pages because of their sign-in state:
 *  - a signed-out visit to a private page goes to /login?next=PATH;
 *  - a signed-in visit to a sign-in page goes on to `next` (or the dashboard);
 *  - while the session is being restored nothing moves, so a reload keeps the page.
 * Token refreshes never change the state from signed in, so they never move anyone.
 */
import { type ComponentType, useEffect } from 'react';
import { useSession } from './auth/latchkey';
import { Shell } from './components/Shell';
import { AdminUser } from './pages/AdminUser';
import { AdminUsers } from './pages/AdminUsers';
import { Dashboard } from './pages/Dashboard';
import { Login } from './pages/Login';
import { LoginCode } from './pages/LoginCode';
import { LoginEnroll } from './pages/LoginEnroll';
import { LoginVerify } from './pages/LoginVerify';
import { NotFound } from './pages/NotFound';
import { Profile } from './pages/Profile';
import { Register } from './pages/Register';
import { Reset } from './pages/Reset';
import { Security } from './pages/Security';
import { Sessions } from './pages/Sessions';
import { navigate, safeNext, useLocation } from './router';

const titles: Record<string, string> = {
  '/login': 'Sign in',
  '/login/code': 'Sign in with a code',
  '/login/verify': 'Verify it’s you',
  '/login/enroll': 'Set up a second factor',
  '/register': 'Create account',
  '/reset': 'Reset your password',
  '/dashboard': 'Dashboard',
  '/profile': 'Profile',
  '/sessions': 'Sessions',
  '/security': 'Security',
  '/admin/users': 'Users',
};

const privatePages: Record<string, ComponentType> = {
  '/dashboard': Dashboard,
  '/profile': Profile,
  '/sessions': Sessions,
  '/security': Security,
  '/admin/users': AdminUsers,
};
const publicPages: Record<string, ComponentType> = {
  '/login': Login,
  '/login/code': LoginCode,
  '/login/verify': LoginVerify,
  '/login/enroll': LoginEnroll,
  '/register': Register,
  '/reset': Reset,
};

/** `/login?next=/profile` — slashes left readable. */
const loginFor = (target: string) => `/login?next=${encodeURIComponent(target).replace(/%2F/gi, '/')}`;

export function App() {
  const session = useSession();
  const { path, query, href } = useLocation();
  // /admin/users/:id is the one page with a parameter; the page reads it from the path.
  const PrivatePage = privatePages[path] ?? (/^\/admin\/users\/[^/]+$/.test(path) ? AdminUser : undefined);
  const PublicPage = publicPages[path];

  useEffect(() => {
    document.title = titles[path] ? `${titles[path]} · Latchkey` : 'Latchkey';
  }, [path]);

  useEffect(() => {
    if (session.status === 'restoring') return;
    const signedIn = session.status === 'signedIn';
    if (path === '/') navigate(signedIn ? '/dashboard' : '/login', { replace: true });
    // After choosing to sign out there is nothing to go back to; otherwise come back here after signing in.
    else if (PrivatePage && !signedIn)
      navigate(session.reason === 'SIGNED_OUT' ? '/login' : loginFor(href), { replace: true });
    else if (PublicPage && signedIn) navigate(safeNext(query.get('next')), { replace: true });
  }, [session.status, session.reason, path, href, query, PrivatePage, PublicPage]);

  if (session.status === 'restoring') return <Loading />;
  if (PrivatePage)
    return session.status === 'signedIn' ? (
      <Shell user={session.user}>
        <PrivatePage />
      </Shell>
    ) : (
      <Loading />
    );
  if (PublicPage) return session.status === 'signedOut' ? <PublicPage /> : <Loading />;
  if (path === '/') return <Loading />;
  return <NotFound />;
}

function Loading() {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span className="visually-hidden">Loading…</span>
    </div>
  );
}
