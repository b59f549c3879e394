import { type FormEvent, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { pendingEnrollment, setPendingEnrollment } from '../auth/pendingSignIn';
import { AuthCard, Field } from '../components/Shell';
import { RecoveryCodesList } from '../security/RecoveryCodesList';
import { Link, useLocation } from '../router';

/**
 * Under MFA_REQUIRED, after a first factor of an account with no second factor: set up an
 * authenticator app or a passkey with the enrolment challenge, then finish signing in
 * (`completeSignIn` with the proven challenge). The guard in App then takes the person on to `next`.
 */
export function LoginEnroll() {
  const { query } = useLocation();
  const challenge = pendingEnrollment();
  const [enrolment, setEnrolment] = useState<{ secret: string; qrSvg: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = query.get('next');
  const back = `/login${next ? `?next=${encodeURIComponent(next)}` : ''}`;

  if (!challenge) {
    return (
      <AuthCard title="Set up a second factor">
        <p className="notice">This sign-in step has expired. Please sign in again.</p>
        <Link href={back}>Back to sign in</Link>
      </AuthCard>
    );
  }

  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(errorMessage(e));
    }
    setBusy(false);
  };
  const finish = async () => {
    await latchkey.completeSignIn({ challenge });
    setPendingEnrollment(null);
  };
  const turnOn = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      setCodes(await latchkey.confirmTotpEnrollment(code.trim(), challenge));
      setEnrolment(null);
    });
  };

  return (
    <AuthCard title="Set up a second factor">
      <p>This server asks every account for a second factor. Set one up to finish signing in.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {codes ? (
        <>
          <RecoveryCodesList codes={codes} />
          <button type="button" className="button primary wide" disabled={busy} onClick={() => void run(finish)}>
            Continue
          </button>
        </>
      ) : (
        <>
          <section aria-labelledby="enroll-totp-title">
            <h2 id="enroll-totp-title">Authenticator app</h2>
            {enrolment ? (
              <form onSubmit={turnOn}>
                <p>Scan this QR code with your authenticator app, or enter the key by hand.</p>
                <img
                  className="qr"
                  alt="QR code"
                  width={200}
                  height={200}
                  src={`data:image/svg+xml;utf8,${encodeURIComponent(enrolment.qrSvg)}`}
                />
                <p>
                  Key: <code className="totp-secret">{enrolment.secret}</code>
                </p>
                <Field
                  id="authenticator-code"
                  label="Authenticator code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  required
                  autoFocus
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
                <button type="submit" className="button primary wide" disabled={busy}>
                  Turn on
                </button>
              </form>
            ) : (
              <button
                type="button"
                className="button primary wide"
                disabled={busy}
                onClick={() => void run(async () => setEnrolment(await latchkey.startTotpEnrollment(challenge)))}
              >
                Set up authenticator app
              </button>
            )}
          </section>
          <section aria-labelledby="enroll-passkey-title">
            <h2 id="enroll-passkey-title">Passkey</h2>
            <button
              type="button"
              className="button secondary wide"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  await latchkey.addPasskey({ challenge });
                  await finish();
                })
              }
            >
              Add a passkey
            </button>
          </section>
        </>
      )}
      <div className="auth-links">
        <Link href={back}>Start over</Link>
      </div>
    </AuthCard>
  );
}
