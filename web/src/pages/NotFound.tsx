import { Link } from '../router';

export function NotFound() {
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <h1>Page not found</h1>
        <p className="lead">There is nothing at this address.</p>
        <Link href="/" className="button primary wide">
          Go to the start page
        </Link>
      </div>
    </main>
  );
}
