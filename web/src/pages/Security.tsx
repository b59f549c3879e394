import type { Security as SecurityInfo } from '@latchkey/client';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { Field } from '../components/Shell';
import { LinkedAccountsSection } from '../oauth/LinkedAccountsSection';
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
  const [error, setError] = useState<string | null>(null);
  const [enrolment, setEnrolment] = useState<{ secret: string; qrSvg: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const { confirmed, prompt } = useConfirmed();

  const load = useCallback(async () => {
    try {
      setInfo(await latchkey.getSecurity());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => void load(), [load]);

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await confirmed(work);
      await load();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const turnOn = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      setCodes(await latchkey.confirmTotpEnrollment(code.trim()));
      setEnrolment(null);
      setCode('');
    });
  };

  return (
    <>
      <h1>Security</h1>
      <p className="lead">
        How you sign in, second factors that keep your account safe even if your password leaks, and your data.
      </p>
      {prompt}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
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
        ) : enrolment ? (
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
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
            <button type="submit" className="button primary">
              Turn on
            </button>
          </form>
        ) : (
          <button
            type="button"
            className="button primary"
            onClick={() => void act(async () => setEnrolment(await latchkey.startTotpEnrollment()))}
          >
            Set up authenticator app
          </button>
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
