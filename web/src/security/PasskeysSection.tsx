import type { Passkey } from '@latchkey/client';
import { type FormEvent, useState } from 'react';
import { latchkey } from '../auth/latchkey';

/** The account's passkeys: add (named by the server after this browser and system), rename, remove. */
export function PasskeysSection({
  passkeys,
  act,
}: {
  passkeys: Passkey[];
  act: (work: () => Promise<unknown>) => Promise<void>;
}) {
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const rename = (event: FormEvent) => {
    event.preventDefault();
    if (!renaming) return;
    void act(async () => {
      await latchkey.renamePasskey(renaming.id, renaming.name);
      setRenaming(null);
    });
  };
  return (
    <section className="panel" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted">Sign in with your fingerprint, face or device PIN instead of a password.</p>
      {passkeys.length > 0 && (
        <ul className="passkeys" aria-label="Your passkeys">
          {passkeys.map((p) => (
            <li key={p.id} data-passkey-id={p.id}>
              {renaming?.id === p.id ? (
                <form onSubmit={rename} className="inline-form">
                  <label htmlFor={`rename-${p.id}`}>New name</label>
                  <input
                    id={`rename-${p.id}`}
                    value={renaming.name}
                    maxLength={64}
                    required
                    onChange={(e) => setRenaming({ id: p.id, name: e.target.value })}
                  />
                  <button type="submit" className="button primary small">
                    Save
                  </button>
                </form>
              ) : (
                <>
                  <span className="passkey-name">{p.name}</span>{' '}
                  <span className="muted small">
                    added {new Date(p.createdAt).toLocaleDateString()}
                    {p.lastUsedAt ? ` · last used ${new Date(p.lastUsedAt).toLocaleString()}` : ''}
                  </span>{' '}
                  <button
                    type="button"
                    className="button secondary small"
                    onClick={() => setRenaming({ id: p.id, name: p.name })}
                  >
                    Rename
                  </button>{' '}
                  <button
                    type="button"
                    className="button danger small"
                    onClick={() => void act(() => latchkey.removePasskey(p.id))}
                  >
                    Remove
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button primary" onClick={() => void act(() => latchkey.addPasskey())}>
        Add a passkey
      </button>
    </section>
  );
}
