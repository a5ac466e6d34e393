import type { SweepReport } from '../rlhf/sweepReport';

/** The words and colours the three sweep plots share. */

/** Symbols of the knobs the paper names; any other setting is called by its key. */
const SYMBOLS: Record<string, string> = {
  'ppo.beta': 'β',
  'ppo.ptxCoef': 'γ_ptx',
  'ppo.lr': 'PPO lr',
  'ppo.klTarget': 'KL target',
  'ppo.temperature': 'τ',
  'rm.k': 'K',
};

/** Short name of the swept setting, for legends: "β", or the key itself. */
export function knobName(key: string): string {
  return SYMBOLS[key] ?? key;
}

/** Axis title of the swept setting: "β (ppo.beta)", or the key alone. */
export function knobTitle(key: string): string {
  return SYMBOLS[key] ? `${SYMBOLS[key]} (${key})` : key;
}

/** "instructions · tiny · seeds 101, 102, 103 · test split", and how far an unfinished sweep got. */
export function sweepLine(r: SweepReport): string {
  const split = r.points.flatMap((p) => p.reports).find((x) => x)?.eval.split;
  const parts = [r.task, r.preset, `${r.seeds.length === 1 ? 'seed' : 'seeds'} ${r.seeds.join(', ')}`, r.backend];
  if (split) parts.push(split === 'val' ? 'dev set' : 'test split');
  if (!r.complete) parts.push('unfinished: the seeds done so far');
  return parts.join(' · ');
}

/**
 * Colours of the sweep's values in their order: a dark-to-light ramp (viridis, stopped before its
 * pale yellow, which vanishes on white) so the order of the values shows in the colours too.
 */
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#a8c80a'];

export function valueColours(n: number): string[] {
  if (n === 1) return [RAMP[1]];
  return Array.from({ length: n }, (_, i) => mix(i / (n - 1)));
}

function mix(t: number): string {
  const at = t * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(at));
  const f = at - i;
  const [a, b] = [RAMP[i], RAMP[i + 1]].map((c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)));
  return `#${a
    .map((x, k) =>
      Math.round(x + (b[k] - x) * f)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** The one colour of a knob plot's PPO series, and the grey of references (SFT, 0.5, zero tax). */
export const PPO_COLOUR = '#2f5bd3';
export const REF_COLOUR = '#777777';

/** Sweep points in axis order with their reports that exist (a sweep's state may hold gaps while it runs). */
export function pointsInOrder(r: SweepReport, at: (value: string) => number) {
  return r.points.map((p) => ({ value: p.value, x: at(p.value), reports: p.reports.filter((x) => x && typeof x === 'object') })).sort((a, b) => a.x - b.x);
}

/** The seeds that appear in a sweep's reports, the report's own list first. */
export function seedColumns(r: SweepReport): number[] {
  const seen = new Set(r.seeds);
  for (const p of r.points) for (const x of p.reports) if (x) seen.add(x.seed);
  return [...seen];
}
