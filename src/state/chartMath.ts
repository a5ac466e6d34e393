/** Pure helpers for the charts: smoothing, downsampling, scales, ticks. */

/** Exponential moving average with debiasing (TensorBoard's smoothing); NaN/∞ are carried through. */
export function smooth(xs: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...xs];
  let m = 0;
  let n = 0;
  return xs.map((x) => {
    if (!Number.isFinite(x)) return x;
    m = weight * m + (1 - weight) * x;
    n++;
    return m / (1 - weight ** n);
  });
}

/** At most `max` [index, value] points, keeping the last one. */
export function downsample(xs: readonly number[], max: number): [number, number][] {
  const step = Math.max(1, Math.ceil(xs.length / Math.max(1, max)));
  const out: [number, number][] = [];
  for (let i = 0; i < xs.length; i += step) out.push([i, xs[i]]);
  if (xs.length && out[out.length - 1][0] !== xs.length - 1) out.push([xs.length - 1, xs[xs.length - 1]]);
  return out;
}

/** Min and max of the values a scale can show (log scales skip values ≤ 0). */
export function extent(series: readonly (readonly number[])[], log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const xs of series) {
    for (const x of xs) {
      if (!Number.isFinite(x) || (log && x <= 0)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  if (lo > hi) return log ? [0.1, 1] : [0, 1];
  if (lo === hi) return log ? [lo / 2, hi * 2] : [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/** Can this series be drawn on a log scale? (all finite values > 0) */
export function positive(series: readonly (readonly number[])[]): boolean {
  return series.some((xs) => xs.some((x) => Number.isFinite(x))) && series.every((xs) => xs.every((x) => !Number.isFinite(x) || x > 0));
}

/** Compact number for axes and hover text. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(3);
}
