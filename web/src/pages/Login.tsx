import type { SignInResult } from '@latchkey/client';
import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, latchkey, signOutMessage, useSession } from '../auth/latchkey';
import { setPendingEnrollment, setPendingSignIn } from '../auth/pendingSignIn';
import { AuthCard, Field, RememberMe } from '../components/Shell';
import { oauthErrorMessage, ProviderButtons } from '../oauth/ProviderButtons';
import { Link, navigate, useLocation } from '../router';
import { ErrorAlert } from '../components/ErrorAlert';

/** After a first factor: signed in (the guard in App moves on), or on to the second step. */
export function afterFirstFactor(result: SignInResult, carry: string): void {
  if (result.status === 'secondFactorRequired') {
    setPendingSignIn({ challenge: result.challenge, methods: result.methods });
    navigate(`/login/verify${carry}`);
  } else if (result.status === 'enrollmentRequired') {
    setPendingEnrollment(result.challenge);
    navigate(`/login/enroll${carry}`);
  }
}

export function Login() {
  const session = useSession();
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [rememberMe, setRememberMe] = useState(false);
  // An external sign-in that failed comes back here with ?error=CODE.
  const [error, setError] = useState<string | null>(oauthErrorMessage(query.get('error')));
  const [busy, setBusy] = useState(false);
  const notice =
    query.get('changed') === 'password'
      ? 'Password changed. Sign in with your new password.'
      : query.get('deleted') === 'account'
        ? 'Your account has been deleted. Goodbye.'
        : signOutMessage(session.reason);
  const next = query.get('next');
  const carry = next ? `?next=${encodeURIComponent(next)}` : '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      afterFirstFactor(await latchkey.login({ email, password, rememberMe }), carry);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  const withPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      afterFirstFactor(await latchkey.signInWithPasskey({ email: email.trim() || undefined, rememberMe }), carry);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  // The Email field offers this site's passkeys (conditional UI) where the browser can.
  // biome-ignore lint/correctness/useExhaustiveDependencies: started once per visit; remember-me and next are read when a passkey is picked
  useEffect(() => {
    let live = true;
    const pkc = (window as { PublicKeyCredential?: { isConditionalMediationAvailable?: () => Promise<boolean> } })
      .PublicKeyCredential;
    void pkc?.isConditionalMediationAvailable?.().then((available) => {
      if (!available || !live) return;
      // A ceremony the passkey button replaces (or leaving the page) aborts this one: nothing to say then.
      latchkey.signInWithPasskey({ autofill: true, rememberMe }).then(
        (r) => afterFirstFactor(r, carry),
        () => undefined,
      );
    });
    return () => {
      live = false;
    };
    // Started once per visit: remember-me is read when the suggestion is picked.
  }, []);

  return (
    <AuthCard title="Sign in">
      {notice && !error && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <ErrorAlert error={error} />
      <form onSubmit={submit}>
        <Field
          id="email"
          label="Email"
          type="email"
          autoComplete="username webauthn"
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
      <button type="button" className="button secondary wide" disabled={busy} onClick={() => void withPasskey()}>
        Sign in with a passkey
      </button>
      <ProviderButtons next={next} rememberMe={rememberMe} />
      <div className="auth-links">
        <Link href="/reset">Forgot password?</Link>
        <Link href={`/login/code${carry}`}>Sign in with a code</Link>
        <span>
          New here? <Link href={`/register${carry}`}>Create account</Link>
        </span>
      </div>
    </AuthCard>
  );
}
