import { exportMyData } from '../accountApi';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction } from '../components/useAction';

/** "Download my data": everything the server stores about the person, saved as a JSON file. */
export function DownloadDataSection() {
  const { busy, error, run } = useAction();

  const download = () =>
    run(async () => {
      const data = await exportMyData();
      const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      Object.assign(document.createElement('a'), { href: url, download: 'latchkey-my-data.json' }).click();
      URL.revokeObjectURL(url);
    });

  return (
    <section className="panel" aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <p>A copy of everything stored about you (passwords and secrets excepted), as a JSON file.</p>
      <ErrorAlert error={error} />
      <button type="button" className="button secondary" disabled={busy} onClick={() => void download()}>
        Download my data
      </button>
    </section>
  );
}
