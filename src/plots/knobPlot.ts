import type { SweepReport } from '../rlhf/sweepReport';
import { knobAxis, linearAxis, type KnobAxis } from './axes';
import { drawFigure, type LegendItem } from './figure';
import type { Panel } from './panel';
import { constantMean, intervalWords, summarise, summaryColumns, summaryExtent, summaryRows, summarySeries, valueNote, type Summary } from './seedSummary';
import { formatValue } from './ticks';
import { knobTitle, pointsInOrder, PPO_COLOUR, REF_COLOUR, seedColumns, sweepLine } from './sweepText';
import type { Plot } from './table';

/**
 * Win rate, labeler score and KL against the swept setting: each run's final evaluation (and its
 * last PPO iteration's KL), the mean over seeds with 95% intervals (seedSummary.ts). Three panels,
 * one per quantity, on the same knob axis.
 */

/** Words for how the knob axis spaces the values, when it is not plainly linear. */
export function axisWords(k: KnobAxis): string {
  if (k.kind === 'log') return ' The values are on a log axis (they span decades).';
  if (k.kind === 'category') return ' The values are evenly spaced, in order (not numbers, one value, or 0 among values spanning decades).';
  return '';
}

export function knobPlot(r: SweepReport): Plot {
  const knob = knobAxis(knobTitle(r.key), r.values);
  const points = pointsInOrder(r, knob.at);
  const seeds = seedColumns(r);
  const win = summarise(points, (x) => x.eval.winrate_ppo_vs_sft, { clamp: [0, 1], single: (x) => x.eval.winrate_ci95 });
  const ppo = summarise(points, (x) => x.eval.labeler_score.ppo);
  const sft = summarise(points, (x) => x.eval.labeler_score.sft);
  // KL is never negative: an interval over few seeds that reaches below 0 is cut there.
  const kl = summarise(points, (x) => x.stages.ppo.kl_last, { clamp: [0, Infinity] });

  const n = r.seeds.length;
  const legend: LegendItem[] = [{ label: 'PPO', colour: PPO_COLOUR }];
  const sftConstant = constantMean(sft);
  const labelerPanel: Panel = {
    title: "Held-out labelers' score",
    x: knob.axis,
    y: linearAxis("labelers' mean score", [...summaryExtent(ppo), ...summaryExtent(sft)]),
    series: [summarySeries('PPO', PPO_COLOUR, ppo)],
    notes: constantNotes(ppo, 'PPO: the same at every value,'),
  };
  if (sftConstant !== null) {
    // SFT does not depend on a PPO (or RM) knob: one line with its value, not a flat curve with whiskers.
    labelerPanel.refs = [{ y: sftConstant, colour: REF_COLOUR }];
    labelerPanel.notes!.push(`dashed: SFT, ${n > 1 ? 'mean ' : ''}${formatValue(sftConstant)} at every value`);
  } else {
    labelerPanel.series.unshift(summarySeries('SFT', REF_COLOUR, sft, '5 4'));
    legend.push({ label: 'SFT', colour: REF_COLOUR, dash: '5 4' });
  }
  const panels: Panel[] = [
    {
      title: 'Win rate, PPO vs SFT',
      x: knob.axis,
      y: linearAxis('win rate (ties count ½)', [0.5, ...summaryExtent(win)]),
      series: [summarySeries('PPO', PPO_COLOUR, win)],
      refs: [{ y: 0.5, colour: REF_COLOUR }],
      notes: ['dashed: 0.5, no better than SFT', ...constantNotes(win, 'the same at every value:')],
    },
    labelerPanel,
    {
      title: 'KL from SFT, last PPO iteration',
      x: knob.axis,
      y: linearAxis('KL (nats per response)', [0, ...summaryExtent(kl)]),
      series: [summarySeries('PPO', PPO_COLOUR, kl)],
      notes: constantNotes(kl, 'the same at every value:'),
    },
  ];

  const prompts = points.flatMap((p) => p.reports).find((x) => x)?.eval.prompts;
  const title = `Win rate, labeler score and KL against ${knobTitle(r.key)}`;
  const caption =
    `${sweepLine(r)}. Each run's final evaluation${prompts ? ` on ${prompts} prompts` : ''}: the held-out labelers' preference for ` +
    `PPO's answer over SFT's, their mean score of each model's answers, and the KL from SFT of the last PPO iteration's rollouts. ` +
    intervalWords(n, "the win rate's whisker is that run's 95% interval over the evaluation prompts, the other numbers have none") +
    ` Intervals are cut where the quantity ends (the win rate at 0 and 1, KL at 0).${axisWords(knob)}`;
  const table = {
    columns: summaryColumns(seeds),
    rows: [
      ...summaryRows('winrate_ppo_vs_sft', win, seeds),
      ...summaryRows('labeler_score_ppo', ppo, seeds),
      ...summaryRows('labeler_score_sft', sft, seeds),
      ...summaryRows('kl_last', kl, seeds),
    ],
  };
  const svg = drawFigure({ title, width: 960, panels, legend, caption });
  return { id: 'knob', title, caption, svg, table };
}

/** A note giving the value of a series that does not move with the knob ("constant series shown as a value"). */
export function constantNotes(s: Summary[], words: string): string[] {
  const c = constantMean(s);
  return c === null ? [] : [valueNote(words, c)];
}
