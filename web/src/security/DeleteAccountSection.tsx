import { type FormEvent, useState } from 'react';
import { deleteAccount } from '../accountApi';
import { errorMessage, latchkey, useSession } from '../auth/latchkey';
import { Field } from '../components/Shell';
import { navigate } from '../router';
import { ErrorAlert } from '../components/ErrorAlert';

type Confirmed = <T>(work: () => Promise<T>) => Promise<T | undefined>;

/** Where a deleted account's person lands: /login, which says the account is gone. */
export const ACCOUNT_DELETED = '/login?deleted=account';

/** "Delete account": the person types their email to confirm, then "Delete forever". */
export function DeleteAccountSection({ confirmed }: { confirmed: Confirmed }) {
  const { user } = useSession();
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const matches = !!user && typed.trim().toLowerCase() === user.email.toLowerCase();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    setBusy(true);
    setError(null);
    try {
      if (!(await confirmed(() => deleteAccount()))) return setBusy(false);
      // Every session of the account is gone on the server; end this tab's (and the other tabs') too.
      await latchkey.logout();
      navigate(ACCOUNT_DELETED, { replace: true });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>Deleting your account removes your profile, sign-in methods and sessions. This cannot be undone.</p>
      <ErrorAlert error={error} />
      {asking ? (
        <form onSubmit={submit}>
          <Field
            id="delete-confirm-email"
            label={`Type your email (${user?.email ?? ''}) to confirm`}
            type="email"
            autoComplete="off"
            required
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
          <button type="submit" className="button danger" disabled={!matches || busy}>
            Delete forever
          </button>{' '}
          <button type="button" className="button secondary" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" className="button danger" onClick={() => setAsking(true)}>
          Delete account
        </button>
      )}
    </section>
  );
}
