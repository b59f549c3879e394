import { type FormEvent, useState } from 'react';
import { requestPasswordReset, resetPassword } from '../accountApi';
import { errorMessage } from '../auth/latchkey';
import { AuthCard, Field } from '../components/Shell';
import { Link, navigate } from '../router';

/** Where a finished reset lands: /login, which then says the password changed. */
export const PASSWORD_CHANGED = '/login?changed=password';

/** "Forgot password?": the address, then the mailed code and a new password. */
export function Reset() {
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

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
      await requestPasswordReset(email.trim());
      setSentTo(email.trim());
      setCode('');
    });
  };

  const set = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await resetPassword({ email: sentTo!, code: code.trim(), newPassword });
      navigate(PASSWORD_CHANGED);
    });
  };

  return (
    <AuthCard title="Reset your password">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {sentTo === null ? (
        <form onSubmit={send}>
          <p className="lead">We will email you a 6-digit code to set a new password.</p>
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
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Sending…' : 'Send code'}
          </button>
        </form>
      ) : (
        <form onSubmit={set}>
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
          <Field
            id="new-password"
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 8 characters. Every device signed in to this account will be signed out."
            value={newPassword}
            onChange={(e) => setNewPassword(e.target.value)}
          />
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Setting password…' : 'Set password'}
          </button>
          <button type="button" className="button link" onClick={() => setSentTo(null)}>
            Use a different email or send a new code
          </button>
        </form>
      )}
      <div className="auth-links">
        <Link href="/login">Back to sign in</Link>
      </div>
    </AuthCard>
  );
}
