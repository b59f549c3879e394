import { type FormEvent, useState } from 'react';
import { changePassword } from '../accountApi';
import { errorMessage } from '../auth/latchkey';
import { Field } from '../components/Shell';

/** "Change password": the current one proves it is the person (no "Confirm it's you" needed). */
export function ChangePasswordSection() {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await changePassword({ currentPassword, newPassword });
      setCurrentPassword('');
      setNewPassword('');
      setDone(true);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p className="notice" role="status">
          Password changed. Your other devices are signed out.
        </p>
      )}
      <form onSubmit={submit}>
        <Field
          id="current-password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={(e) => setCurrentPassword(e.target.value)}
        />
        <Field
          id="change-new-password"
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters. Other devices signed in to this account will be signed out."
          value={newPassword}
          onChange={(e) => setNewPassword(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy}>
          Change password
        </button>
      </form>
    </section>
  );
}
