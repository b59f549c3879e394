import { type FormEvent, useState } from 'react';
import { latchkey } from '../auth/latchkey';
import { EnterCodeForm, SendCodeForm } from '../components/EmailCodeSteps';
import { ErrorAlert } from '../components/ErrorAlert';
import { AuthCard, RememberMe } from '../components/Shell';
import { useAction } from '../components/useAction';
import { afterFirstFactor } from './Login';
import { Link, useLocation } from '../router';

/** Sign in with a one-time code sent by email: first the address, then the code. */
export function LoginCode() {
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [rememberMe, setRememberMe] = useState(false);
  const { busy, error, run } = useAction();
  const next = query.get('next');
  const carry = next ? `?next=${encodeURIComponent(next)}` : '';

  const send = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await latchkey.requestCode(email);
      setSentTo(email);
      setCode('');
    });
  };

  const verify = (event: FormEvent) => {
    event.preventDefault();
    void run(async () =>
      afterFirstFactor(await latchkey.loginWithCode({ email: sentTo!, code: code.trim(), rememberMe }), carry),
    );
  };

  return (
    <AuthCard title="Sign in with a code">
      <ErrorAlert error={error} />
      {sentTo === null ? (
        <SendCodeForm
          lead="We will email you a 6-digit code. No password needed."
          email={email}
          onEmail={setEmail}
          busy={busy}
          onSubmit={send}
        >
          {/* Offered on both steps (one choice, kept between them): decide up front, or with the code. */}
          <RememberMe checked={rememberMe} onChange={setRememberMe} />
        </SendCodeForm>
      ) : (
        <EnterCodeForm
          sentTo={sentTo}
          code={code}
          onCode={setCode}
          busy={busy}
          submit="Verify"
          submitting="Verifying…"
          onSubmit={verify}
          onRestart={() => setSentTo(null)}
        >
          <RememberMe checked={rememberMe} onChange={setRememberMe} />
        </EnterCodeForm>
      )}
      <div className="auth-links">
        <Link href={`/login${carry}`}>Sign in with a password</Link>
      </div>
    </AuthCard>
  );
}
