/** The frame of every signed-in page: header with navigation and "Sign out", then the page. */
import type { LatchkeyUser } from '@latchkey/client';
import { type InputHTMLAttributes, type ReactNode, useEffect, useRef, useState } from 'react';
import { useIsAdmin } from '../admin/useIsAdmin';
import { latchkey } from '../auth/latchkey';
import { Link, useLocation } from '../router';
import { ConfirmEmailBanner } from './ConfirmEmailBanner';

const nav = [
  { href: '/dashboard', label: 'Dashboard' },
  { href: '/profile', label: 'Profile' },
  { href: '/sessions', label: 'Sessions' },
  { href: '/security', label: 'Security' },
];

export function Shell({ user, children }: { user: LatchkeyUser; children: ReactNode }) {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstPage = useRef(true);
  const isAdmin = useIsAdmin(user);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `path` is the trigger: focus moves on every page change
  useEffect(() => {
    // After moving between pages, start keyboard and screen-reader users at the new content.
    if (firstPage.current) firstPage.current = false;
    else main.current?.focus();
  }, [path]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/dashboard" className="brand">
            <Logo /> Latchkey
          </Link>
          <nav aria-label="Main">
            <ul>
              {nav.map((item) => (
                <li key={item.href}>
                  <Link href={item.href} aria-current={path === item.href ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
              {isAdmin && (
                <li>
                  <Link href="/admin/users" aria-current={path.startsWith('/admin/') ? 'page' : undefined}>
                    Admin
                  </Link>
                </li>
              )}
            </ul>
          </nav>
          <div className="account">
            <span className="account-email" title={user.email}>
              {user.profile.displayName || user.email}
            </span>
            <button type="button" className="button secondary" onClick={() => void latchkey.logout()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1} ref={main}>
        {!user.emailVerified && <ConfirmEmailBanner user={user} />}
        {children}
      </main>
    </>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <circle cx="13" cy="16" r="6" fill="none" stroke="#fff" strokeWidth="3" />
      <path d="M19 16h9m-3 0v4" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

/** The centred card of the sign-in pages. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo /> Latchkey
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/**
 * A labelled input with an optional hint tied to it. A password field gets a "Show password"
 * toggle (a button named by its text, pressed while the password shows), so a person can check
 * what they typed; the field's own label stays the only label of the input.
 */
export function Field({
  label,
  hint,
  id,
  ...input
}: { label: string; hint?: string; id: string } & InputHTMLAttributes<HTMLInputElement>) {
  const [shown, setShown] = useState(false);
  const password = input.type === 'password';
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {password ? (
        <div className="password-input">
          <input
            id={id}
            aria-describedby={hint ? `${id}-hint` : undefined}
            {...input}
            type={shown ? 'text' : 'password'}
          />
          <button
            type="button"
            className="button secondary small"
            aria-controls={id}
            aria-pressed={shown}
            onClick={() => setShown(!shown)}
          >
            Show password
          </button>
        </div>
      ) : (
        <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      )}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function RememberMe({ checked, onChange }: { checked: boolean; onChange(v: boolean): void }) {
  return (
    <div className="check">
      <input
        id="remember"
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby="remember-hint"
      />
      <label htmlFor="remember">Remember me</label>
      <p className="hint" id="remember-hint">
        Stay signed in on this device after the browser closes.
      </p>
    </div>
  );
}
