import { LatchkeyError } from '@latchkey/client';
import { type FormEvent, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { AuthCard, Field } from '../components/Shell';
import { ProviderButtons } from '../oauth/ProviderButtons';
import { Link, useLocation } from '../router';
import { afterFirstFactor } from './Login';
import { ErrorAlert } from '../components/ErrorAlert';

export function Register() {
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = query.get('next');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await latchkey.register({ email, password, displayName: displayName.trim() || undefined });
    } catch (e) {
      // Under MFA_REQUIRED the new account sets up its second factor before it gets a session.
      if (e instanceof LatchkeyError && e.code === 'SECOND_FACTOR_ENROLLMENT_REQUIRED') {
        const carry = next ? `?next=${encodeURIComponent(next)}` : '';
        return afterFirstFactor({ status: 'enrollmentRequired', challenge: String(e.extensions.challenge) }, carry);
      }
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Create account">
      <ErrorAlert error={error} />
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
          autoComplete="new-password"
          required
          hint="At least 8 characters. A few words you will remember works well."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field
          id="displayName"
          label="Display name"
          autoComplete="nickname"
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
        />
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
      <ProviderButtons next={next} />
      <div className="auth-links">
        <span>
          Already have an account?{' '}
          <Link href={`/login${next ? `?next=${encodeURIComponent(next)}` : ''}`}>Sign in</Link>
        </span>
      </div>
    </AuthCard>
  );
}
