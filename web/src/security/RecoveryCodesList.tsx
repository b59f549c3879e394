/** Recovery codes shown once, with a button that saves them as a text file. */
export function RecoveryCodesList({ codes }: { codes: string[] }) {
  const download = () => {
    const blob = new Blob([`Latchkey recovery codes (each works once)\n\n${codes.join('\n')}\n`], {
      type: 'text/plain',
    });
    const url = URL.createObjectURL(blob);
    const a = Object.assign(document.createElement('a'), { href: url, download: 'latchkey-recovery-codes.txt' });
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <div className="recovery-codes">
      <p>Save these recovery codes somewhere safe. Each works once, and they will not be shown again.</p>
      <ul aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <button type="button" className="button secondary" onClick={download}>
        Download
      </button>
    </div>
  );
}
