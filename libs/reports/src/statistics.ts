/** Summary statistics of timings. Percentiles interpolate linearly between ranks (numpy's default). */

export interface Spread {
  readonly count: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  readonly stdevMs: number;
  /** (max − min) / median, as a percentage: how far apart the runs were. */
  readonly rangePct: number;
}

function checked(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new Error(`${what}: needs at least one value`);
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v)) throw new Error(`${what}: value ${i} is ${v}, expected a finite number`);
  }
  return [...values].sort((a, b) => a - b);
}

/** The q-th percentile (0 ≤ q ≤ 100) with linear interpolation between the closest ranks. */
export function percentile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q must be within 0..100 (got ${q})`);
  const sorted = checked(values, `percentile ${q}`);
  const rank = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  return checked(values, 'mean').reduce((a, b) => a + b, 0) / values.length;
}

export function spread(values: readonly number[]): Spread {
  const sorted = checked(values, 'spread');
  const m = mean(sorted);
  const med = median(sorted);
  const variance = sorted.length > 1 ? sorted.reduce((s, v) => s + (v - m) ** 2, 0) / (sorted.length - 1) : 0;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    count: sorted.length,
    medianMs: med,
    meanMs: m,
    minMs: min,
    maxMs: max,
    stdevMs: Math.sqrt(variance),
    rangePct: med > 0 ? ((max - min) / med) * 100 : 0,
  };
}
