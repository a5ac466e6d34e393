/** Pure helpers for the charts: smoothing, downsampling, scales, ticks and their labels. */

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

/** Compact number for the hover readout (fixed decimals, so the digits hold still while the cursor moves). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  // below 1, three significant digits: a learning rate of 0.0016 must not read 0.002
  return a >= 1 || a === 0 ? x.toFixed(3) : x.toPrecision(3);
}

/**
 * What a metric's numbers call for: nothing yet, one number per run ('value': a one-point series,
 * e.g. the RM's held-out accuracy, measured once), one number that never changed ('constant', e.g.
 * β without adaptive KL) or a chart ('curve'). A chart of one point or of a flat line says less
 * than the number, and its axis would be invented around it.
 */
export type SeriesKind = 'empty' | 'value' | 'constant' | 'curve';

export function seriesKind(series: readonly (readonly number[])[]): SeriesKind {
  const finite = series.map((xs) => xs.filter(Number.isFinite));
  const all = finite.flat();
  if (all.length === 0) return 'empty';
  if (finite.every((xs) => xs.length <= 1)) return 'value';
  const tolerance = 1e-9 * Math.max(...all.map(Math.abs));
  return all.every((x) => Math.abs(x - all[0]) <= tolerance) ? 'constant' : 'curve';
}

/** An axis: the range it spans, where its ticks sit and each tick's label. */
interface Axis {
  domain: [number, number];
  ticks: number[];
  labels: string[];
}

/** The smallest of 1, 2, 5 × 10^k at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * power;
}

/**
 * A linear value axis over [lo, hi] with about `target` ticks at multiples of a nice step (1, 2 or
 * 5 × 10^k); the domain grows to the outermost ticks, so the frame starts and ends on a label.
 */
export function linearAxis(lo: number, hi: number, target = 4): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  // A zero-width range (one value) is widened around it, never divided by.
  if (hi - lo <= 1e-12 * Math.max(1e-300, Math.abs(lo))) [lo, hi] = lo === 0 ? [-1, 1] : [lo - Math.abs(lo) * 0.1, hi + Math.abs(hi) * 0.1];
  const step = niceStep((hi - lo) / Math.max(1, target));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // i × step, not a running sum: 0.1 + 0.2 would label a tick 0.30000000000000004.
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => cleanMultiple(first + i, step));
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks, labels: ticks.map((t) => tickLabel(t, step)) };
}

/** i × step without binary noise (to the step's own precision). */
function cleanMultiple(i: number, step: number): number {
  const v = i * step;
  return v === 0 ? 0 : Number(v.toPrecision(12));
}

/**
 * A log value axis over [lo, hi] (both > 0). Across a decade or more the ticks are 1, 2, 5 × 10^k
 * (only the powers of ten when that makes too many) inside the data's range; within less than a
 * decade log and linear scales look alike, so the ticks are the linear axis's (kept positive).
 */
export function logAxis(lo: number, hi: number, target = 4): Axis {
  if (!(lo > 0) || !(hi > 0) || hi / lo < 10) {
    const lin = linearAxis(lo, hi, target);
    if (lin.domain[0] > 0) return lin;
    // The nice bound below the data reached 0 or under, which a log scale cannot show: start at the data.
    const keep = lin.ticks.map((t, i) => i).filter((i) => lin.ticks[i] > 0);
    return { domain: [lo, lin.domain[1]], ticks: keep.map((i) => lin.ticks[i]), labels: keep.map((i) => lin.labels[i]) };
  }
  const from = Math.floor(Math.log10(lo));
  const to = Math.ceil(Math.log10(hi));
  const within = (mantissas: number[]) => {
    const out: number[] = [];
    for (let e = from; e <= to; e++) for (const m of mantissas) out.push(Number((m * 10 ** e).toPrecision(6)));
    return out.filter((v) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9));
  };
  const dense = within([1, 2, 5]);
  const ticks = dense.length <= 2 * target ? dense : within([1]);
  return { domain: [lo, hi], ticks, labels: ticks.map((t) => tickLabel(t, 10 ** Math.floor(Math.log10(t) + 1e-9))) };
}

/**
 * An integer axis over the steps 1…n (x: optimizer steps, PPO iterations): ticks at nice multiples
 * inside the range, and step 1 when no multiple lands near it, so the axis says where it starts.
 */
export function stepAxis(n: number, target = 4): Axis {
  if (n <= 1) return { domain: [1, 1], ticks: [1], labels: ['1'] };
  const step = Math.max(1, niceStep((n - 1) / Math.max(1, target)));
  const ticks: number[] = [];
  for (let t = step; t <= n; t += step) ticks.push(t);
  if (!ticks.length || ticks[0] - 1 >= step / 2) ticks.unshift(1);
  return { domain: [1, n], ticks, labels: ticks.map(String) };
}

/**
 * A tick's label: the decimals its axis's step resolves, in plain digits while that stays short
 * (0.0003), in exponent form for the very small and very large (3.05e-4, 1.2e5) — never a label
 * longer than the chart's margin can hold. Trailing zeros of the mantissa are dropped (3e-4, not 3.00e-4).
 */
function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const fixed = v.toFixed(Math.min(20, decimals));
  const a = Math.abs(v);
  if (a < 1e5 && !(a < 0.01 && fixed.replace('-', '').length > 6)) return /^-0\.?0*$/.test(fixed) ? fixed.slice(1) : fixed;
  const digits = Math.max(0, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9));
  return exponential(v, digits);
}

/** x.toExponential without a "+" in the exponent or trailing zeros in the mantissa: 1.5e5, 3e-4. */
function exponential(x: number, digits: number): string {
  const [mantissa, exponent] = x.toExponential(Math.min(20, digits)).split('e');
  const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return `${m}e${exponent.replace('+', '')}`;
}

/** A number shown on its own (a one-point series, a constant): 3 significant digits, no padding zeros. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return exponential(x, 2);
  if (a >= 100) return x.toFixed(0);
  return String(Number(x.toPrecision(3)));
}

/**
 * Width in px of a label at `fontSize` px, an upper estimate with no DOM: the chart's margin is laid
 * out before anything is drawn. It errs wide (a digit 0.66 em: DejaVu Sans, the widest usual fallback
 * of system-ui, takes 0.64), so a tick label gets a little more room than it needs and is never cut off.
 */
export function labelWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) em += /[.,:;'|!il()\s-]/.test(ch) ? 0.4 : /[mwMW%]/.test(ch) ? 1 : /[A-Z]/.test(ch) ? 0.8 : 0.66;
  return em * fontSize;
}
