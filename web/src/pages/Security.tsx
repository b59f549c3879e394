import type { Security as SecurityInfo } from '@latchkey/client';
import { useCallback, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction } from '../components/useAction';
import { LinkedAccountsSection } from '../oauth/LinkedAccountsSection';
import { AuthenticatorAppSetup, type TotpEnrolment } from '../security/AuthenticatorAppSetup';
import { ChangePasswordSection } from '../security/ChangePasswordSection';
import { DeleteAccountSection } from '../security/DeleteAccountSection';
import { DownloadDataSection } from '../security/DownloadDataSection';
import { EmailSection } from '../security/EmailSection';
import { PasskeysSection } from '../security/PasskeysSection';
import { RecoveryCodesList } from '../security/RecoveryCodesList';
import { useConfirmed } from '../security/useConfirmed';

/** The account's sign-in: password, email, second factors (authenticator app, passkeys, recovery codes), its data and its end. */
export function Security() {
  const [info, setInfo] = useState<SecurityInfo | null>(null);
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const { confirmed, prompt } = useConfirmed();
  const { error, setError, run } = useAction();

  const load = useCallback(async () => {
    try {
      setInfo(await latchkey.getSecurity());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [setError]);
  useEffect(() => void load(), [load]);

  const act = (work: () => Promise<unknown>) =>
    run(async () => {
      await confirmed(work);
      await load();
    });

  const turnOn = (code: string) =>
    void act(async () => {
      setCodes(await latchkey.confirmTotpEnrollment(code));
      setEnrolment(null);
    });

  return (
    <>
      <h1>Security</h1>
      <p className="lead">
        How you sign in, second factors that keep your account safe even if your password leaks, and your data.
      </p>
      {prompt}
      <ErrorAlert error={error} />
      <ChangePasswordSection />
      <EmailSection confirmed={confirmed} />
      <section className="panel" aria-labelledby="totp-title">
        <h2 id="totp-title">Authenticator app</h2>
        {info?.totpEnabled ? (
          <>
            <p>An authenticator app is set up: sign-ins ask for its code.</p>
            <button type="button" className="button danger" onClick={() => void act(() => latchkey.disableTotp())}>
              Turn off
            </button>
          </>
        ) : (
          <AuthenticatorAppSetup
            enrolment={enrolment}
            onStart={() => void act(async () => setEnrolment(await latchkey.startTotpEnrollment()))}
            onConfirm={turnOn}
          />
        )}
        {codes && <RecoveryCodesList codes={codes} />}
      </section>
      <PasskeysSection passkeys={info?.passkeys ?? []} act={act} />
      <LinkedAccountsSection act={act} />
      <section className="panel" aria-labelledby="codes-title">
        <h2 id="codes-title">Recovery codes</h2>
        <p>{info ? `${info.recoveryCodesLeft} recovery codes left.` : 'Loading…'}</p>
        <button
          type="button"
          className="button secondary"
          onClick={() => void act(async () => setCodes(await latchkey.regenerateRecoveryCodes()))}
        >
          Generate new codes
        </button>
      </section>
      <DownloadDataSection />
      <DeleteAccountSection confirmed={confirmed} />
    </>
  );
}
