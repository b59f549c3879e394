import { useCallback, useState } from 'react';
import { errorMessage } from '../auth/latchkey';

/**
 * Busy and error state around one action at a time: `run` clears the last error, marks the
 * page busy (buttons disable on it), and shows what went wrong instead of throwing.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
