import type { LatchkeyUser } from '@latchkey/client';
import { type FormEvent, useState } from 'react';
import { requestEmailVerification, verifyEmail } from '../accountApi';
import { CodeField } from './CodeField';
import { ErrorAlert } from './ErrorAlert';
import { useAction } from './useAction';

/** "Confirm your email", on every signed-in page while the address is unverified. */
export function ConfirmEmailBanner({ user }: { user: LatchkeyUser }) {
  const [code, setCode] = useState('');
  const [resent, setResent] = useState(false);
  const { busy, error, run } = useAction();

  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      // The banner goes away with the flag: the client hands the updated user to this tab and the others.
      await verifyEmail(code.trim());
    });
  };

  const resend = () =>
    void run(async () => {
      await requestEmailVerification(user.email);
      setResent(true);
    });

  return (
    <section className="banner" aria-labelledby="confirm-email-title">
      <h2 id="confirm-email-title">Confirm your email</h2>
      <p>
        We sent a code to <strong>{user.email}</strong>. Enter it to confirm the address is yours.
      </p>
      <ErrorAlert error={error} />
      {resent && (
        <p className="notice" role="status">
          A new code is on its way.
        </p>
      )}
      <form onSubmit={confirm} className="banner-form">
        <CodeField id="email-code" label="Email code" value={code} onChange={setCode} />
        <button type="submit" className="button primary" disabled={busy}>
          Confirm email
        </button>
        <button type="button" className="button secondary" disabled={busy} onClick={resend}>
          Send a new code
        </button>
      </form>
    </section>
  );
}
