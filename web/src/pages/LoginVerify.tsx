import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { pendingSignIn, setPendingSignIn } from '../auth/pendingSignIn';
import { AuthCard, Field } from '../components/Shell';
import { SignInStepExpired } from '../components/SignInStepExpired';
import { Link, useLocation } from '../router';
import { ErrorAlert } from '../components/ErrorAlert';

/** The second step: an authenticator code, a recovery code, or a passkey. */
export function LoginVerify() {
  const { query } = useLocation();
  const pending = pendingSignIn();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = query.get('next');
  const useRecovery = query.get('recovery') === '1';
  const withRecovery = new URLSearchParams({ ...(next ? { next } : {}), recovery: '1' }).toString();
  // A half-typed authenticator code is not a recovery code.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the field changes kind
  useEffect(() => setCode(''), [useRecovery]);
  const back = `/login${next ? `?next=${encodeURIComponent(next)}` : ''}`;

  if (!pending) {
    return <SignInStepExpired title="Verify it's you" back={back} />;
  }

  // On success the guard in App takes the person on to `next`.
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      setPendingSignIn(null);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = code.trim();
    void run(() =>
      latchkey.completeSignIn({
        challenge: pending.challenge,
        ...(useRecovery ? { recoveryCode: value } : { totpCode: value }),
      }),
    );
  };

  return (
    <AuthCard title="Verify it's you">
      <ErrorAlert error={error} />
      <form onSubmit={submit}>
        {useRecovery ? (
          <Field
            id="recovery-code"
            label="Recovery code"
            autoComplete="off"
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        ) : (
          <Field
            id="totp-code"
            label="Authentication code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        )}
        <button type="submit" className="button primary wide" disabled={busy}>
          Verify
        </button>
      </form>
      {pending.methods.includes('PASSKEY') && (
        <button
          type="button"
          className="button secondary wide"
          disabled={busy}
          onClick={() => void run(() => latchkey.completeSignInWithPasskey(pending.challenge))}
        >
          Use a passkey
        </button>
      )}
      <div className="auth-links">
        {!useRecovery && <Link href={`/login/verify?${withRecovery}`}>Use a recovery code</Link>}
        <Link href={back}>Start over</Link>
      </div>
    </AuthCard>
  );
}
