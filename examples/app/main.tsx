/**
 * The example app of the three layouts (../README.md): a React page that signs in with
 * @latchkey/client and shows the session with @latchkey/react. Where Latchkey is (its URL and
 * GRAPHQL_PATH) comes from the `<meta name="latchkey-app">` tag its server writes into the page.
 */
import { createLatchkeyClient } from '@latchkey/client';
import { LatchkeyProvider, SignedIn, SignedOut, useLatchkey, useSession, useUser } from '@latchkey/react';
import { type FormEvent, useState } from 'react';
import { createRoot } from 'react-dom/client';

interface Settings {
  /** Latchkey's origin ('' when the app's own server forwards GRAPHQL_PATH to it). */
  url: string;
  graphqlPath: string;
  /** Latchkey's hosted sign-in page, when the app offers it. */
  signInPage?: string;
}

const settings: Settings = JSON.parse(
  document.querySelector('meta[name="latchkey-app"]')?.getAttribute('content') ?? '{"url":"","graphqlPath":"/graphql"}',
);
const latchkey = createLatchkeyClient({ url: settings.url, graphqlPath: settings.graphqlPath });

function SignInForm() {
  const client = useLatchkey();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const result = await client.login({ email, password });
      if (result.status !== 'signedIn') setError('This account needs a second factor: use the sign-in page.');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form onSubmit={submit}>
      <p>Signed out</p>
      {error && <p role="alert">{error}</p>}
      <label>
        Email <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Password <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      <button type="submit">Sign in</button>
      {settings.signInPage && (
        <a href={`${settings.signInPage}?next=${encodeURIComponent(window.location.href)}`}>Sign in with Latchkey</a>
      )}
    </form>
  );
}

function Account() {
  const client = useLatchkey();
  const user = useUser();
  const [loaded, setLoaded] = useState<string | null>(null);
  // A call with the access token: the client refreshes it first when it has expired.
  const load = async () => {
    const { me } = await client.request<{ me: { email: string } }>('{ me { email } }');
    setLoaded(me.email);
  };
  return (
    <div>
      <p>Signed in as {user?.email}</p>
      <button type="button" onClick={() => void load()}>
        Load my account
      </button>
      {loaded && <p>Account: {loaded}</p>}
      <button type="button" onClick={() => void client.logout()}>
        Sign out
      </button>
    </div>
  );
}

function App() {
  const session = useSession();
  if (session.status === 'restoring') return <p>Loading…</p>;
  return (
    <main>
      <h1>Example app</h1>
      <SignedIn>
        <Account />
      </SignedIn>
      <SignedOut>
        <SignInForm />
      </SignedOut>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <LatchkeyProvider client={latchkey}>
    <App />
  </LatchkeyProvider>,
);
