import type { FormEvent, ReactNode } from 'react';
import { CodeField } from './CodeField';
import { Field } from './Shell';

/** The first step of "we email you a code": the address. `children` go under the email field. */
export function SendCodeForm({
  lead,
  email,
  onEmail,
  busy,
  onSubmit,
  children,
}: {
  lead: string;
  email: string;
  onEmail(email: string): void;
  busy: boolean;
  onSubmit(event: FormEvent): void;
  children?: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit}>
      <p className="lead">{lead}</p>
      <Field
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        required
        autoFocus
        value={email}
        onChange={(e) => onEmail(e.target.value)}
      />
      {children}
      <button type="submit" className="button primary wide" disabled={busy}>
        {busy ? 'Sending…' : 'Send code'}
      </button>
    </form>
  );
}

/**
 * The second step: the code mailed to `sentTo` (the notice does not say whether an account
 * exists), with `children` under the code field; `onRestart` goes back to the first step.
 */
export function EnterCodeForm({
  sentTo,
  code,
  onCode,
  busy,
  submit,
  submitting,
  onSubmit,
  onRestart,
  children,
}: {
  sentTo: string;
  code: string;
  onCode(code: string): void;
  busy: boolean;
  submit: string;
  submitting: string;
  onSubmit(event: FormEvent): void;
  onRestart(): void;
  children?: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit}>
      <p className="notice" role="status">
        If an account exists for <strong>{sentTo}</strong>, a code is on its way. It expires in a few minutes.
      </p>
      <CodeField id="code" label="Code" autoFocus value={code} onChange={onCode} />
      {children}
      <button type="submit" className="button primary wide" disabled={busy}>
        {busy ? submitting : submit}
      </button>
      <button type="button" className="button link" onClick={onRestart}>
        Use a different email or send a new code
      </button>
    </form>
  );
}
