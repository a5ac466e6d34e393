import type { SweepReport } from '../rlhf/sweepReport';
import { knobAxis, linearAxis } from './axes';
import { drawFigure } from './figure';
import { axisWords, constantNotes } from './knobPlot';
import { intervalWords, summarise, summaryColumns, summaryExtent, summaryRows, summarySeries } from './seedSummary';
import { knobTitle, pointsInOrder, PPO_COLOUR, REF_COLOUR, seedColumns, sweepLine } from './sweepText';
import type { Plot } from './table';

/**
 * The alignment tax — PPO's held-out pretraining loss minus SFT's, in nats per token — against the
 * swept setting: InstructGPT's PPO vs PPO-ptx comparison when the setting is γ_ptx (ppo.ptxCoef),
 * and still the price in language modelling of any other knob.
 */
export function taxPlot(r: SweepReport): Plot {
  const ptx = r.key === 'ppo.ptxCoef';
  const knob = knobAxis(knobTitle(r.key), r.values);
  const points = pointsInOrder(r, knob.at);
  const seeds = seedColumns(r);
  const tax = summarise(points, (x) => x.eval.pretrain_loss.ppo - x.eval.pretrain_loss.sft);
  const sft = summarise(points, (x) => x.eval.pretrain_loss.sft);
  const ppo = summarise(points, (x) => x.eval.pretrain_loss.ppo);

  const title = `Alignment tax against ${ptx ? 'γ_ptx' : knobTitle(r.key)}`;
  const caption =
    `${sweepLine(r)}. Tax: PPO's loss minus SFT's on held-out pretraining windows (the same windows for both), in nats per token; ` +
    `above 0, RLHF cost language-modelling ability. ` +
    (ptx ? 'γ_ptx = 0 is plain PPO; PPO-ptx adds γ_ptx × the pretraining loss to every update (InstructGPT §3.5). ' : '') +
    intervalWords(r.seeds.length, 'the points are that run’s') +
    axisWords(knob);
  const svg = drawFigure({
    title,
    width: 560,
    panels: [
      {
        title: ptx ? 'PPO vs PPO-ptx' : 'Alignment tax',
        x: knob.axis,
        y: linearAxis('tax (nats per token)', [0, ...summaryExtent(tax)]),
        series: [summarySeries('tax', PPO_COLOUR, tax)],
        refs: [{ y: 0, colour: REF_COLOUR }],
        notes: ['dashed: no tax', ...constantNotes(tax, 'the same at every value:')],
      },
    ],
    legend: [],
    caption,
  });
  const table = {
    columns: summaryColumns(seeds),
    rows: [...summaryRows('alignment_tax', tax, seeds), ...summaryRows('pretrain_loss_sft', sft, seeds), ...summaryRows('pretrain_loss_ppo', ppo, seeds)],
  };
  return { id: 'tax', title, caption, svg, table };
}
