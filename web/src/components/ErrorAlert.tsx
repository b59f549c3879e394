/** What went wrong, announced at once to screen readers; nothing while there is no error. */
export function ErrorAlert({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}
