import { type FormEvent, useState } from 'react';
import { Field } from '../components/Shell';

export interface TotpEnrolment {
  secret: string;
  qrSvg: string;
}

/**
 * Setting up an authenticator app: a button that starts it, then the QR code, the key and a
 * field for the app's first code. Used on the Security page and, inside the sign-in card
 * (`card`: full-width buttons, the field focused), when a second factor is required.
 */
export function AuthenticatorAppSetup({
  enrolment,
  onStart,
  onConfirm,
  busy,
  card,
}: {
  enrolment: TotpEnrolment | null;
  onStart(): void;
  onConfirm(code: string): void;
  busy?: boolean;
  card?: boolean;
}) {
  const primary = card ? 'button primary wide' : 'button primary';
  if (!enrolment) {
    return (
      <button type="button" className={primary} disabled={busy} onClick={onStart}>
        Set up authenticator app
      </button>
    );
  }
  return <ConfirmForm enrolment={enrolment} onConfirm={onConfirm} busy={busy} card={card} primary={primary} />;
}

// Its own component so the typed code goes when the form does.
function ConfirmForm({
  enrolment,
  onConfirm,
  busy,
  card,
  primary,
}: {
  enrolment: TotpEnrolment;
  onConfirm(code: string): void;
  busy?: boolean;
  card?: boolean;
  primary: string;
}) {
  const [code, setCode] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onConfirm(code.trim());
  };
  return (
    <form onSubmit={submit}>
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
        autoFocus={card}
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      <button type="submit" className={primary} disabled={busy}>
        Turn on
      </button>
    </form>
  );
}
