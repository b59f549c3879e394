import { type FormEvent, useState } from 'react';
import { confirmEmailChange, requestEmailChange } from '../accountApi';
import { latchkey, useSession } from '../auth/latchkey';
import { CodeField } from '../components/CodeField';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Shell';
import { useAction } from '../components/useAction';

type Confirmed = <T>(work: () => Promise<T>) => Promise<T | undefined>;

/** "Email": a code goes to the new address; typing it back makes that address the account's. */
export function EmailSection({ confirmed }: { confirmed: Confirmed }) {
  const { user } = useSession();
  const [newEmail, setNewEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [changed, setChanged] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const send = (event: FormEvent) => {
    event.preventDefault();
    const to = newEmail.trim();
    void run(async () => {
      // Undefined: the person cancelled "Confirm it's you".
      if ((await confirmed(() => requestEmailChange(to))) === undefined) return;
      setSentTo(to);
      setCode('');
      setChanged(null);
    });
  };

  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const updated = await confirmEmailChange(code.trim());
      if (user) latchkey.setUser({ ...user, email: updated.email, emailVerified: updated.emailVerified });
      setChanged(updated.email);
      setSentTo(null);
      setNewEmail('');
    });
  };

  return (
    <section className="panel" aria-labelledby="email-title">
      <h2 id="email-title">Email</h2>
      <p>
        Your email is <strong>{user?.email}</strong>.
      </p>
      <ErrorAlert error={error} />
      {changed && (
        <p className="notice" role="status">
          Your email is now {changed}.
        </p>
      )}
      {sentTo === null ? (
        <form onSubmit={send}>
          <Field
            id="new-email"
            label="New email"
            type="email"
            autoComplete="email"
            required
            value={newEmail}
            onChange={(e) => setNewEmail(e.target.value)}
          />
          <button type="submit" className="button primary" disabled={busy}>
            Send code
          </button>
        </form>
      ) : (
        <form onSubmit={confirm}>
          <p className="notice" role="status">
            We sent a code to <strong>{sentTo}</strong>. Enter it to make that your email.
          </p>
          <CodeField id="email-change-code" label="Verification code" value={code} onChange={setCode} />
          <button type="submit" className="button primary" disabled={busy}>
            Change email
          </button>{' '}
          <button type="button" className="button secondary" onClick={() => setSentTo(null)}>
            Cancel
          </button>
        </form>
      )}
    </section>
  );
}
