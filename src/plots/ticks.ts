/** Axis ticks at "nice" numbers (1, 2, 5 × 10^k) and their labels. */

interface LinearTicks {
  /** the axis's extent: the outermost ticks, so the frame starts and ends on a labelled value */
  domain: [number, number];
  ticks: number[];
  /** decimals that tell the ticks apart */
  decimals: number;
}

/**
 * About `target` ticks covering [lo, hi]. A zero-width range (a constant series) is widened around
 * its value, so the value still sits on a readable axis instead of dividing by zero.
 */
export function niceTicks(lo: number, hi: number, target = 5): LinearTicks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = niceStep((hi - lo) / Math.max(1, target));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  // Multiples of the step, rounded to its decimals: 0.30000000000000004 becomes 0.3.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks, decimals };
}

/** The smallest of 1, 2, 5 × 10^k at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** Ticks of a log axis over [lo, hi] (both > 0): the decades, and 2 and 5 between them when there are few. */
export function logTicks(lo: number, hi: number): number[] {
  const from = Math.floor(Math.log10(lo) + 1e-9);
  const to = Math.ceil(Math.log10(hi) - 1e-9);
  // 1, 2 and 5 in each decade while the axis spans at most about two (else the labels would crowd).
  const mantissas = Math.log10(hi / lo) <= 2.5 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = from; e <= to; e++) for (const m of mantissas) out.push(Number((m * 10 ** e).toPrecision(6)));
  return out.filter((v) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9));
}

/** A number as a label: a real minus sign, no "-0". */
export function formatNumber(v: number, decimals: number): string {
  const s = v.toFixed(Math.min(20, Math.max(0, decimals)));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s.replace('-', '\u2212');
}

/** A tick of a log axis: plain decimals from 0.0001 to 10^6, "2e−5" beyond. */
export function formatLogTick(v: number): string {
  const e = Math.floor(Math.log10(v) + 1e-9);
  if (e >= -4 && e < 6) return formatNumber(v, Math.max(0, -e));
  const m = Number((v / 10 ** e).toPrecision(6)); // 1e-4 / 10^-4 is 1.0000000000000002
  return `${m}e${formatNumber(e, 0)}`;
}

/** A measured value in a table cell or note: 3 significant digits, enough for any score here. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v))));
  return formatNumber(v, decimals);
}
