/**
 * Small statistics for benchmark rounds: pure functions, tested in test/bench.
 *
 * @example
 *   median([3, 1, 2]); // 2
 *   ratio(500, 1000);  // 0.5
 *   percentile([1, 2, 3, 4], 50); // 2
 */

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The nearest-rank percentile `p` (0–100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** `value ÷ reference`, to 3 decimals; NaN when the reference is not a positive number. */
export function ratio(value: number, reference: number): number {
  if (!(reference > 0) || !Number.isFinite(value)) return NaN;
  return round(value / reference, 3);
}

/** `value` rounded to `digits` decimals. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
