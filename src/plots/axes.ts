import { formatLogTick, formatNumber, logTicks, niceTicks } from './ticks';

/** An axis: its title, labelled ticks, and where a data value falls along it (0 = start, 1 = end). */
export interface Axis {
  title: string;
  ticks: { value: number; label: string }[];
  scale(v: number): number;
}

/** A linear axis covering every value in `values` (and the frame ends on ticks). */
export function linearAxis(title: string, values: number[], target = 5): Axis {
  const finite = values.filter(Number.isFinite);
  const t = niceTicks(Math.min(...finite), Math.max(...finite), target);
  const [d0, d1] = t.domain;
  return { title, ticks: t.ticks.map((v) => ({ value: v, label: formatNumber(v, t.decimals) })), scale: (v) => (v - d0) / (d1 - d0) };
}

/**
 * The axis of a swept setting, and `at(value)`: where a sweep value sits on it (in the axis's data
 * units: the number itself, or the category's index). How the values are spread decides the axis:
 *   - not all numbers (k1, k3), or one value → categories, in the sweep's order;
 *   - positive and spanning a decade or more (1e-4, 1e-3, 1e-2) → log axis;
 *   - 0 (or a negative) among values spanning a decade or more (0, 0.01, 0.1) → evenly spaced categories
 *     in numeric order: a log axis cannot place 0, and a linear one would crush 0.01 onto 0;
 *   - otherwise → linear.
 */
export interface KnobAxis {
  axis: Axis;
  kind: 'linear' | 'log' | 'category';
  at(value: string): number;
}

export function knobAxis(title: string, values: string[]): KnobAxis {
  const unique = [...new Set(values)];
  const numbers = unique.map((v) => (v.trim() === '' ? NaN : Number(v)));
  if (unique.length < 2 || numbers.some((x) => !Number.isFinite(x))) return categoryAxis(title, unique);
  const magnitudes = numbers.map(Math.abs).filter((x) => x > 0);
  const spansDecades = magnitudes.length > 1 && Math.max(...magnitudes) / Math.min(...magnitudes) >= 10;
  if (spansDecades && Math.min(...numbers) <= 0) {
    const order = unique.map((v, i) => ({ v, x: numbers[i] })).sort((a, b) => a.x - b.x);
    return categoryAxis(
      title,
      order.map((o) => o.v),
    );
  }
  if (spansDecades) return logAxis(title, numbers);
  const axis = linearAxis(title, numbers);
  return { axis, kind: 'linear', at: (v) => Number(v) };
}

function categoryAxis(title: string, categories: string[]): KnobAxis {
  const n = categories.length;
  return {
    kind: 'category',
    axis: { title, ticks: categories.map((label, i) => ({ value: i, label })), scale: (i) => (i + 0.5) / n },
    at: (v) => categories.indexOf(v),
  };
}

function logAxis(title: string, numbers: number[]): KnobAxis {
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  // A twentieth of the span beyond the outer values, in log space, so their markers clear the frame.
  const pad = (Math.log10(hi) - Math.log10(lo)) / 20;
  const l0 = Math.log10(lo) - pad;
  const l1 = Math.log10(hi) + pad;
  const ticks = logTicks(10 ** l0, 10 ** l1).map((v) => ({ value: v, label: formatLogTick(v) }));
  return { kind: 'log', axis: { title, ticks, scale: (v) => (Math.log10(v) - l0) / (l1 - l0) }, at: (v) => Number(v) };
}
