import { useSession } from '../auth/latchkey';
import { Link } from '../router';

export function Dashboard() {
  const session = useSession();
  if (session.status !== 'signedIn') return null;
  const { user } = session;
  return (
    <>
      <h1>Welcome{user.profile.displayName ? `, ${user.profile.displayName}` : ''}</h1>
      <p className="lead">Signed in as {user.email}</p>
      <div className="cards">
        <Link href="/profile" className="card">
          <h2>Profile</h2>
          <p>Your display name, bio and picture.</p>
        </Link>
        <Link href="/sessions" className="card">
          <h2>Sessions</h2>
          <p>Where you are signed in. End any session you do not recognise.</p>
        </Link>
      </div>
    </>
  );
}
