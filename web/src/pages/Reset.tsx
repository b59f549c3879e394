import { type FormEvent, useState } from 'react';
import { requestPasswordReset, resetPassword } from '../accountApi';
import { EnterCodeForm, SendCodeForm } from '../components/EmailCodeSteps';
import { ErrorAlert } from '../components/ErrorAlert';
import { AuthCard, Field } from '../components/Shell';
import { useAction } from '../components/useAction';
import { Link, navigate } from '../router';

/** Where a finished reset lands: /login, which then says the password changed. */
export const PASSWORD_CHANGED = '/login?changed=password';

/** "Forgot password?": the address, then the mailed code and a new password. */
export function Reset() {
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const { busy, error, run } = useAction();

  const send = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await requestPasswordReset(email.trim());
      setSentTo(email.trim());
      setCode('');
    });
  };

  const set = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await resetPassword({ email: sentTo!, code: code.trim(), newPassword });
      navigate(PASSWORD_CHANGED);
    });
  };

  return (
    <AuthCard title="Reset your password">
      <ErrorAlert error={error} />
      {sentTo === null ? (
        <SendCodeForm
          lead="We will email you a 6-digit code to set a new password."
          email={email}
          onEmail={setEmail}
          busy={busy}
          onSubmit={send}
        />
      ) : (
        <EnterCodeForm
          sentTo={sentTo}
          code={code}
          onCode={setCode}
          busy={busy}
          submit="Set password"
          submitting="Setting password…"
          onSubmit={set}
          onRestart={() => setSentTo(null)}
        >
          <Field
            id="new-password"
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 8 characters. Every device signed in to this account will be signed out."
            value={newPassword}
            onChange={(e) => setNewPassword(e.target.value)}
          />
        </EnterCodeForm>
      )}
      <div className="auth-links">
        <Link href="/login">Back to sign in</Link>
      </div>
    </AuthCard>
  );
}
