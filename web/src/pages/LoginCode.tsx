import { type FormEvent, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { AuthCard, Field, RememberMe } from '../components/Shell';
import { afterFirstFactor } from './Login';
import { Link, useLocation } from '../router';

/** Sign in with a one-time code sent by email: first the address, then the code. */
export function LoginCode() {
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [rememberMe, setRememberMe] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = query.get('next');
  const carry = next ? `?next=${encodeURIComponent(next)}` : '';

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const send = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await latchkey.requestCode(email);
      setSentTo(email);
      setCode('');
    });
  };

  const verify = (event: FormEvent) => {
    event.preventDefault();
    void run(async () =>
      afterFirstFactor(await latchkey.loginWithCode({ email: sentTo!, code: code.trim(), rememberMe }), carry),
    );
  };

  return (
    <AuthCard title="Sign in with a code">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {sentTo === null ? (
        <form onSubmit={send}>
          <p className="lead">We will email you a 6-digit code. No password needed.</p>
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
          {/* Offered on both steps (one choice, kept between them): decide up front, or with the code. */}
          <RememberMe checked={rememberMe} onChange={setRememberMe} />
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Sending…' : 'Send code'}
          </button>
        </form>
      ) : (
        <form onSubmit={verify}>
          <p className="notice" role="status">
            If an account exists for <strong>{sentTo}</strong>, a code is on its way. It expires in a few minutes.
          </p>
          <Field
            id="code"
            label="Code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          />
          <RememberMe checked={rememberMe} onChange={setRememberMe} />
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Verifying…' : 'Verify'}
          </button>
          <button type="button" className="button link" onClick={() => setSentTo(null)}>
            Use a different email or send a new code
          </button>
        </form>
      )}
      <div className="auth-links">
        <Link href={`/login${carry}`}>Sign in with a password</Link>
      </div>
    </AuthCard>
  );
}
