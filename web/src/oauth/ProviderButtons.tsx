import type { OAuthProvider } from '@latchkey/client';
import { useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { ErrorAlert } from '../components/ErrorAlert';

/** The configured providers ("Continue with NAME"); none while loading or when none is configured. */
export function useOAuthProviders(): OAuthProvider[] {
  const [providers, setProviders] = useState<OAuthProvider[]>([]);
  useEffect(() => {
    let live = true;
    latchkey.oauthProviders().then(
      (list) => live && setProviders(list),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return providers;
}

/** Why an external sign-in came back to /login (`?error=CODE`), in words. */
export function oauthErrorMessage(code: string | null): string | null {
  switch (code) {
    case null:
      return null;
    case 'ACCESS_DENIED':
      return 'Sign-in was cancelled at the provider, or this account cannot sign in.';
    case 'ACCOUNT_EXISTS':
      return 'An account with this email already exists. Sign in with your password or a code, then link the provider from Security.';
    case 'OAUTH_STATE_INVALID':
      return 'That sign-in link has expired or was already used. Please start again.';
    case 'PROVIDER_ERROR':
      return 'The provider could not be reached or gave an answer we cannot use. Try again later, or sign in another way.';
    default:
      return 'Signing in with the provider did not work. Please try again.';
  }
}

/** One "Continue with NAME" button per provider; the browser leaves for the provider's page. */
export function ProviderButtons({ next, rememberMe = false }: { next: string | null; rememberMe?: boolean }) {
  const providers = useOAuthProviders();
  const [error, setError] = useState<string | null>(null);
  if (!providers.length) return null;
  const go = async (provider: string) => {
    setError(null);
    try {
      window.location.assign(await latchkey.startOAuth({ provider, next: next ?? undefined, rememberMe }));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <div className="providers">
      <ErrorAlert error={error} />
      {providers.map((p) => (
        <button key={p.id} type="button" className="button secondary wide" onClick={() => void go(p.id)}>
          Continue with {p.name}
        </button>
      ))}
    </div>
  );
}
