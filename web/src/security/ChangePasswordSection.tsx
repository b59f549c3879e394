import { type FormEvent, useState } from 'react';
import { changePassword } from '../accountApi';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Shell';
import { useAction } from '../components/useAction';

/** "Change password": the current one proves it is the person (no "Confirm it's you" needed). */
export function ChangePasswordSection() {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    void run(async () => {
      await changePassword({ currentPassword, newPassword });
      setCurrentPassword('');
      setNewPassword('');
      setDone(true);
    });
  };

  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <ErrorAlert error={error} />
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
