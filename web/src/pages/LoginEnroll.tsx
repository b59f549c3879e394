import { useState } from 'react';
import { latchkey } from '../auth/latchkey';
import { pendingEnrollment, setPendingEnrollment } from '../auth/pendingSignIn';
import { ErrorAlert } from '../components/ErrorAlert';
import { AuthCard } from '../components/Shell';
import { useAction } from '../components/useAction';
import { AuthenticatorAppSetup, type TotpEnrolment } from '../security/AuthenticatorAppSetup';
import { RecoveryCodesList } from '../security/RecoveryCodesList';
import { SignInStepExpired } from '../components/SignInStepExpired';
import { Link, useLocation } from '../router';

/**
 * Under MFA_REQUIRED, after a first factor of an account with no second factor: set up an
 * authenticator app or a passkey with the enrolment challenge, then finish signing in
 * (`completeSignIn` with the proven challenge). The guard in App then takes the person on to `next`.
 */
export function LoginEnroll() {
  const { query } = useLocation();
  const challenge = pendingEnrollment();
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const { busy, error, run } = useAction();
  const next = query.get('next');
  const back = `/login${next ? `?next=${encodeURIComponent(next)}` : ''}`;

  if (!challenge) {
    return <SignInStepExpired title="Set up a second factor" back={back} />;
  }

  const finish = async () => {
    await latchkey.completeSignIn({ challenge });
    setPendingEnrollment(null);
  };
  const turnOn = (code: string) =>
    void run(async () => {
      setCodes(await latchkey.confirmTotpEnrollment(code, challenge));
      setEnrolment(null);
    });

  return (
    <AuthCard title="Set up a second factor">
      <p>This server asks every account for a second factor. Set one up to finish signing in.</p>
      <ErrorAlert error={error} />
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
            <AuthenticatorAppSetup
              card
              busy={busy}
              enrolment={enrolment}
              onStart={() => void run(async () => setEnrolment(await latchkey.startTotpEnrollment(challenge)))}
              onConfirm={turnOn}
            />
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
