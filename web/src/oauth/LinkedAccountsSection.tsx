import type { Identity } from '@latchkey/client';
import { useCallback, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { useLocation } from '../router';
import { oauthErrorMessage, useOAuthProviders } from './ProviderButtons';
import { ErrorAlert } from '../components/ErrorAlert';

/** Providers linked to this account: each with Unlink, and "Link NAME" for the others. */
export function LinkedAccountsSection({ act }: { act: (work: () => Promise<unknown>) => Promise<void> }) {
  const providers = useOAuthProviders();
  const { query } = useLocation();
  const [identities, setIdentities] = useState<Identity[]>([]);
  const [error, setError] = useState<string | null>(oauthErrorMessage(query.get('error')));
  const load = useCallback(async () => {
    try {
      setIdentities(await latchkey.identities());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => void load(), [load]);
  if (!providers.length && !identities.length) return null;
  const nameOf = (id: string) => providers.find((p) => p.id === id)?.name ?? id;
  const linked = new Set(identities.map((i) => i.provider));
  return (
    <section className="panel" aria-labelledby="linked-title">
      <h2 id="linked-title">Linked accounts</h2>
      <p className="muted">Sign in with these providers as well as your other ways in.</p>
      <ErrorAlert error={error} />
      {identities.length > 0 && (
        <ul className="passkeys" aria-label="Linked accounts">
          {identities.map((i) => (
            <li key={i.id}>
              <span className="passkey-name">{nameOf(i.provider)}</span>{' '}
              <span className="muted small">
                {i.email ?? ''} · linked {new Date(i.linkedAt).toLocaleDateString()}
              </span>{' '}
              <button
                type="button"
                className="button danger small"
                onClick={() =>
                  void act(async () => {
                    await latchkey.unlinkIdentity(i.id);
                    await load();
                  })
                }
              >
                Unlink
              </button>
            </li>
          ))}
        </ul>
      )}
      {providers
        .filter((p) => !linked.has(p.id))
        .map((p) => (
          <button
            key={p.id}
            type="button"
            className="button secondary"
            onClick={() =>
              void act(async () => window.location.assign(await latchkey.startOAuth({ provider: p.id, link: true })))
            }
          >
            Link {p.name}
          </button>
        ))}
    </section>
  );
}
