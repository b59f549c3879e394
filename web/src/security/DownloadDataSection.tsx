import { useState } from 'react';
import { exportMyData } from '../accountApi';
import { errorMessage } from '../auth/latchkey';

/** "Download my data": everything the server stores about the person, saved as a JSON file. */
export function DownloadDataSection() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = await exportMyData();
      const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      Object.assign(document.createElement('a'), { href: url, download: 'latchkey-my-data.json' }).click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <p>A copy of everything stored about you (passwords and secrets excepted), as a JSON file.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="button secondary" disabled={busy} onClick={() => void download()}>
        Download my data
      </button>
    </section>
  );
}
