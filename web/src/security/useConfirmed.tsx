/**
 * "Confirm it's you": an operation that answers REAUTH_REQUIRED asks for the password (or a
 * passkey) in place, then carries on with what the person asked — the same call, with the
 * input they had typed, which lives in the caller's closure.
 */
import { LatchkeyError } from '@latchkey/client';
import { type FormEvent, type ReactNode, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { Field } from '../components/Shell';
import { ErrorAlert } from '../components/ErrorAlert';

export function useConfirmed(): {
  confirmed: <T>(work: () => Promise<T>) => Promise<T | undefined>;
  prompt: ReactNode;
} {
  const [waiting, setWaiting] = useState<{
    retry: () => Promise<unknown>;
    done: (v: unknown) => void;
    fail: (e: unknown) => void;
  } | null>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);

  const confirmed = async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (e) {
      if (!(e instanceof LatchkeyError) || e.code !== 'REAUTH_REQUIRED') throw e;
      return new Promise<T | undefined>((done, fail) =>
        setWaiting({ retry: work, done: done as (v: unknown) => void, fail }),
      );
    }
  };

  const finish = async (proof: () => Promise<unknown>) => {
    if (!waiting) return;
    setError(null);
    try {
      await proof();
    } catch (e) {
      setError(errorMessage(e));
      return;
    }
    const { retry, done, fail } = waiting;
    setWaiting(null);
    setPassword('');
    retry().then(done, fail);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void finish(() => latchkey.reauthenticate({ password }));
  };

  const prompt = waiting && (
    <section className="panel" aria-labelledby="confirm-title" role="dialog">
      <h2 id="confirm-title">Confirm it's you</h2>
      <p className="muted">It has been a while since you signed in. Confirm to carry on.</p>
      <ErrorAlert error={error} />
      <form onSubmit={submit}>
        <Field
          id="confirm-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="button primary">
          Confirm
        </button>{' '}
        <button
          type="button"
          className="button secondary"
          onClick={() => void finish(() => latchkey.reauthenticateWithPasskey())}
        >
          Use a passkey
        </button>{' '}
        <button
          type="button"
          className="button secondary"
          onClick={() => {
            waiting.done(undefined);
            setWaiting(null);
          }}
        >
          Cancel
        </button>
      </form>
    </section>
  );
  return { confirmed, prompt };
}
