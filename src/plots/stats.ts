/** The summaries the plots draw: means over seeds with a 95% t-interval. */

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Centred moving mean over `width` consecutive values (fewer at the ends): the over-optimisation curves' smoothing. */
export function centredMean(xs: readonly number[], width: number): number[] {
  const h = Math.floor(width / 2);
  return xs.map((_, i) => mean(xs.slice(Math.max(0, i - h), i + h + 1)));
}

/** Student's t, 97.5th percentile, for 1 … 30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t(0.975, df); beyond 30 the first Cornish–Fisher term (within 0.001 of the exact value). */
export function tQuantile975(df: number): number {
  if (df < 1) return NaN;
  return df <= 30 ? T975[df - 1] : 1.959964 + 2.372 / df;
}

interface Interval {
  mean: number;
  /** NaN with fewer than two values: one seed says nothing about the spread over seeds */
  lo: number;
  hi: number;
  n: number;
}

/**
 * Mean ± t(0.975, n−1)·s/√n of the finite values (s: the sample standard deviation). This is the
 * spread over seeds — what another seed would likely give — and with few seeds it is wide on
 * purpose (two seeds: t = 12.7).
 */
export function tInterval(values: number[]): Interval {
  const xs = values.filter(Number.isFinite);
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { mean: m, lo: NaN, hi: NaN, n };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean: m, lo: m - half, hi: m + half, n };
}
