import type { ProfileInput } from '@latchkey/client';
import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, latchkey } from '../auth/latchkey';
import { Field } from '../components/Shell';
import { ErrorAlert } from '../components/ErrorAlert';

type ProfileFields = Record<keyof ProfileInput, string>;

export function Profile() {
  const [form, setForm] = useState<ProfileFields | null>(null);
  const [status, setStatus] = useState<'idle' | 'saving' | 'saved'>('idle');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    latchkey.me().then(
      (me) => {
        if (live && me)
          setForm({
            displayName: me.profile.displayName ?? '',
            bio: me.profile.bio ?? '',
            avatarUrl: me.profile.avatarUrl ?? '',
          });
      },
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  const edit = (field: keyof ProfileFields) => (event: { target: { value: string } }) => {
    setForm((f) => f && { ...f, [field]: event.target.value });
    setStatus('idle');
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form) return;
    setStatus('saving');
    setError(null);
    try {
      const input = {
        displayName: form.displayName.trim() || null,
        bio: form.bio.trim() || null,
        avatarUrl: form.avatarUrl.trim() || null,
      };
      // The client gives the cached user (this tab's and the others') the new profile.
      await latchkey.updateProfile(input);
      setStatus('saved');
    } catch (e) {
      setError(errorMessage(e));
      setStatus('idle');
    }
  };

  return (
    <>
      <h1>Profile</h1>
      <p className="lead">How you appear to others.</p>
      <ErrorAlert error={error} />
      {form === null ? (
        !error && <p className="muted">Loading your profile…</p>
      ) : (
        <form className="panel" onSubmit={save}>
          <div className="profile-head">
            <Avatar url={form.avatarUrl} name={form.displayName || latchkey.getUser()?.email || '?'} />
            <div>
              <strong>{form.displayName || 'No display name yet'}</strong>
              <p className="muted">{latchkey.getUser()?.email}</p>
            </div>
          </div>
          <Field
            id="displayName"
            label="Display name"
            autoComplete="nickname"
            maxLength={100}
            value={form.displayName}
            onChange={edit('displayName')}
          />
          <div className="field">
            <label htmlFor="bio">Bio</label>
            <textarea id="bio" rows={4} maxLength={1000} value={form.bio} onChange={edit('bio')} />
          </div>
          <Field
            id="avatarUrl"
            label="Avatar URL"
            type="url"
            inputMode="url"
            placeholder="https://…"
            hint="A link to a square picture (https)."
            value={form.avatarUrl}
            onChange={edit('avatarUrl')}
          />
          <div className="actions">
            <button type="submit" className="button primary" disabled={status === 'saving'}>
              {status === 'saving' ? 'Saving…' : 'Save'}
            </button>
            <span className="saved" role="status" aria-live="polite">
              {status === 'saved' ? 'Saved' : ''}
            </span>
          </div>
        </form>
      )}
    </>
  );
}

function Avatar({ url, name }: { url: string; name: string }) {
  const [broken, setBroken] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `url` is the trigger: a new picture gets a new chance to load
  useEffect(() => setBroken(false), [url]);
  if (url && !broken) return <img className="avatar" src={url} alt="" onError={() => setBroken(true)} />;
  return (
    <span className="avatar" aria-hidden="true">
      {name.trim().charAt(0).toUpperCase()}
    </span>
  );
}
