import type { Security as SecurityInfo } from '@latchkey/client';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { Field } from '../components/Shell';
import { LinkedAccountsSection } from '../oauth/LinkedAccountsSection';
import { PasskeysSection } from '../security/PasskeysSection';
import { RecoveryCodesList } from '../security/RecoveryCodesList';
import { useConfirmed } from '../security/useConfirmed';

/** Second factors: the authenticator app, passkeys, recovery codes. */
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
      <p className="lead">Second factors keep your account safe even if your password leaks.</p>
      {prompt}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
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
    </>
  );
}
