import { type FormEvent, useState } from 'react';
import { errorMessage, latchkey, signOutMessage, useSession } from '../auth/latchkey';
import { AuthCard, Field, RememberMe } from '../components/Shell';
import { Link, useLocation } from '../router';

export function Login() {
  const session = useSession();
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [rememberMe, setRememberMe] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const notice = signOutMessage(session.reason);
  const next = query.get('next');
  const carry = next ? `?next=${encodeURIComponent(next)}` : '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // On success the guard in App takes the person on to `next`.
      await latchkey.login({ email, password, rememberMe });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in">
      {notice && !error && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form onSubmit={submit}>
        <Field
          id="email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <RememberMe checked={rememberMe} onChange={setRememberMe} />
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <div className="auth-links">
        <Link href={`/login/code${carry}`}>Sign in with a code</Link>
        <span>
          New here? <Link href={`/register${carry}`}>Create account</Link>
        </span>
      </div>
    </AuthCard>
  );
}
