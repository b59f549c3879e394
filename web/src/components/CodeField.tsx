import { Field } from './Shell';

/** A 6-digit code sent by email: digits only, offered by the browser from the message. */
export function CodeField({
  id,
  label,
  value,
  onChange,
  autoFocus,
}: {
  id: string;
  label: string;
  value: string;
  onChange(code: string): void;
  autoFocus?: boolean;
}) {
  return (
    <Field
      id={id}
      label={label}
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9]{6}"
      maxLength={6}
      required
      autoFocus={autoFocus}
      value={value}
      onChange={(e) => onChange(e.target.value.replace(/\D/g, ''))}
    />
  );
}
