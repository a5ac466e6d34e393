import type { PipelineReport } from '../rlhf/pipelineTypes';
import type { Series } from './panel';
import { tInterval, tQuantile975 } from './stats';
import { formatValue } from './ticks';

/**
 * One number per run (a win rate, a tax) summarised per sweep value over its seeds: the mean with a
 * 95% t-interval over the seeds (stats.ts), each seed's own value kept for the faint dots and the
 * table. Shared by the knob and tax plots, so both say the same thing the same way.
 */
export interface Summary {
  value: string;
  /** where the value sits on the knob axis */
  x: number;
  n: number;
  mean: number;
  /** NaN when there is no interval (one seed, and no per-run interval for this number) */
  lo: number;
  hi: number;
  bySeed: Map<number, number>;
}

interface SummaryOptions {
  /** the number's possible range: an interval is cut there (a win rate is never above 1) */
  clamp?: [number, number];
  /** with ONE seed, an interval the run itself gives (the win rate's, over the test prompts) */
  single?: (r: PipelineReport) => [number, number] | undefined;
}

export function summarise(
  points: { value: string; x: number; reports: PipelineReport[] }[],
  get: (r: PipelineReport) => number | undefined,
  opts: SummaryOptions = {},
): Summary[] {
  return points.map((p) => {
    const bySeed = new Map<number, number>();
    for (const r of p.reports) {
      const v = get(r);
      if (typeof v === 'number' && Number.isFinite(v)) bySeed.set(r.seed, v);
    }
    const t = tInterval([...bySeed.values()]);
    let [lo, hi] = [t.lo, t.hi];
    if (t.n === 1 && opts.single) {
      const run = p.reports.find((r) => bySeed.has(r.seed));
      [lo, hi] = (run && opts.single(run)) ?? [NaN, NaN];
    }
    if (opts.clamp && Number.isFinite(lo)) [lo, hi] = [Math.max(opts.clamp[0], lo), Math.min(opts.clamp[1], hi)];
    return { value: p.value, x: p.x, n: t.n, mean: t.mean, lo, hi, bySeed };
  });
}

/** The table's columns for summaries: one row per value (and metric), each seed's number in its own column. */
export function summaryColumns(seeds: number[]): string[] {
  return ['value', 'metric', 'seeds', 'mean', 'ci95_lo', 'ci95_hi', ...seeds.map((s) => `seed_${s}`)];
}

export function summaryRows(metric: string, summaries: Summary[], seeds: number[]): (string | number | null)[][] {
  return summaries.map((s) => [
    s.value,
    metric,
    s.n,
    Number.isFinite(s.mean) ? s.mean : null,
    Number.isFinite(s.lo) ? s.lo : null,
    Number.isFinite(s.hi) ? s.hi : null,
    ...seeds.map((seed) => s.bySeed.get(seed) ?? null),
  ]);
}

/** The drawn series: means joined in axis order, whiskers, markers, and the seeds as dots. */
export function summarySeries(label: string, colour: string, summaries: Summary[], dash?: string): Series {
  return {
    label,
    colour,
    dash,
    markers: true,
    points: summaries.filter((s) => s.n > 0).map((s) => ({ x: s.x, y: s.mean, lo: s.lo, hi: s.hi })),
    dots: summaries.flatMap((s) => (s.n > 1 ? [...s.bySeed.values()].map((y) => ({ x: s.x, y })) : [])),
  };
}

/** Every value the series may draw (means and interval ends), for the y axis. */
export function summaryExtent(summaries: Summary[]): number[] {
  return summaries.flatMap((s) => [s.mean, s.lo, s.hi, ...s.bySeed.values()]).filter(Number.isFinite);
}

/** The mean when every value has the same one (a stage the knob does not reach), else null. */
export function constantMean(summaries: Summary[]): number | null {
  const ms = summaries.filter((s) => s.n > 0).map((s) => s.mean);
  if (ms.length < 2) return null;
  const [lo, hi] = [Math.min(...ms), Math.max(...ms)];
  return hi - lo <= 1e-9 * Math.max(1, Math.abs(hi)) ? ms[0] : null;
}

/** The caption's words for the whiskers, for a sweep over `n` seeds. */
export function intervalWords(n: number, singleSeedNote: string): string {
  if (n < 2) return `One seed: no interval over seeds; ${singleSeedNote}.`;
  return (
    `Points: the mean over the ${n} seeds; whiskers: the 95% t-interval over seeds (mean ± t·s/√n, t = ${tQuantile975(n - 1).toFixed(2)} ` +
    `for ${n} seeds${n === 2 ? ': two seeds make it wide' : ''}); faint dots: the single seeds.`
  );
}

/** "SFT 0.418" for a note on a constant. */
export function valueNote(name: string, v: number): string {
  return `${name} ${formatValue(v)}`;
}
