import type { SweepReport } from '../rlhf/sweepReport';
import { knobAxis, linearAxis } from './axes';
import { drawFigure } from './figure';
import type { Series } from './panel';
import { centredMean, mean } from './stats';
import { knobName, knobTitle, pointsInOrder, sweepLine, valueColours } from './sweepText';
import type { DataTable, Plot } from './table';

/**
 * Over-optimisation (Gao et al. 2022, "Scaling laws for reward model overoptimization"): the reward
 * model's score of the rollouts (the proxy PPO maximises) and the labelers' score of the same
 * rollouts (the gold it stands for) against √KL from SFT, one curve per sweep value, from the PPO
 * log. A curve is the MEAN over seeds at each iteration — one thin line per seed would be ~15
 * crossing lines for a 5 × 3 sweep — smoothed over 3 consecutive iterations, because one
 * iteration's KL is an estimate from 64 rollouts and jumps back and forth. Two panels side by side
 * with the same x axis, rather than two y axes on one frame, so each score has its own honest scale.
 */

/** Iterations averaged into one drawn point (centred; 2 at the ends). */
const SMOOTH = 3;

interface Iteration {
  iteration: number;
  n: number;
  kl: number;
  proxy: number;
  gold: number;
}

/** Per iteration, the mean over the seeds that reached it (a stopped PPO stage has a shorter log). */
function meanLog(reports: SweepReport['points'][number]['reports']): Iteration[] {
  const logs = reports.map((x) => x.stages.ppo.log);
  const length = Math.max(0, ...logs.map((l) => l.length));
  const out: Iteration[] = [];
  for (let i = 0; i < length; i++) {
    const entries = logs.map((l) => l[i]).filter((e) => e && Number.isFinite(e.kl) && Number.isFinite(e.reward) && Number.isFinite(e.labelerScore));
    if (!entries.length) continue;
    out.push({
      iteration: i + 1,
      n: entries.length,
      kl: mean(entries.map((e) => e.kl)),
      proxy: mean(entries.map((e) => e.reward)),
      gold: mean(entries.map((e) => e.labelerScore)),
    });
  }
  return out;
}

/** Centred moving mean over SMOOTH iterations. */
const smooth = (xs: number[]): number[] => centredMean(xs, SMOOTH);

export function overoptimisationPlot(r: SweepReport): Plot {
  const knob = knobAxis(knobTitle(r.key), r.values);
  const points = pointsInOrder(r, knob.at);
  const colours = valueColours(points.length);
  const table: DataTable = {
    columns: [
      'value',
      'iteration',
      'seeds',
      'kl_mean',
      'rm_score_mean',
      'labeler_score_mean',
      'sqrt_kl_smoothed',
      'rm_score_smoothed',
      'labeler_score_smoothed',
    ],
    rows: [],
  };
  const proxy: Series[] = [];
  const gold: Series[] = [];
  points.forEach((p, j) => {
    const its = meanLog(p.reports);
    if (!its.length) return; // no seed of this value has run yet
    // √ of a negative batch estimate (k1 can dip below 0 while the policy is still SFT) counts as 0.
    const x = smooth(its.map((it) => it.kl)).map((kl) => Math.sqrt(Math.max(0, kl)));
    const yProxy = smooth(its.map((it) => it.proxy));
    const yGold = smooth(its.map((it) => it.gold));
    its.forEach((it, i) => table.rows.push([p.value, it.iteration, it.n, it.kl, it.proxy, it.gold, x[i], yProxy[i], yGold[i]]));
    const label = `${knobName(r.key)} = ${p.value}`;
    const peak = yGold.reduce((best, y, i) => (y > yGold[best] ? i : best), 0);
    proxy.push({ label, colour: colours[j], points: x.map((xi, i) => ({ x: xi, y: yProxy[i] })) });
    gold.push({ label, colour: colours[j], points: x.map((xi, i) => ({ x: xi, y: yGold[i] })), ring: { x: x[peak], y: yGold[peak] } });
  });

  const allX = proxy.flatMap((s) => s.points.map((q) => q.x));
  const xAxis = () => linearAxis('√KL from SFT (√nats per response)', [0, ...allX]);
  const estimator = points.flatMap((p) => p.reports).find((x) => x)?.config?.ppo?.klEstimator ?? 'k1';
  const seeds = r.seeds.length;
  const title = `Over-optimisation: ${knobTitle(r.key)} sweep`;
  const caption =
    `${sweepLine(r)}. Each curve is one value of ${knobName(r.key)}; each point one PPO iteration, the mean over ` +
    `${seeds === 1 ? 'the one seed' : `the ${seeds} seeds`} of: the reward model's score of the iteration's rollouts (proxy, left), ` +
    `the labelers' noise-free rubric score of the same rollouts (gold, right) and the KL from SFT (summed over a response's tokens, ` +
    `${estimator} estimator), smoothed over ${SMOOTH} consecutive iterations; x = √KL (a negative estimate counts as 0). ` +
    `Ring: where the gold score peaks. Over-optimisation shows as gold peaking and falling while proxy keeps rising ` +
    `(Gao et al. 2022). The data table has the unsmoothed means too.`;
  const allProxy = proxy.flatMap((s) => s.points.map((q) => q.y));
  const allGold = gold.flatMap((s) => s.points.map((q) => q.y));
  const svg = drawFigure({
    title,
    width: 900,
    panels: [
      { title: 'Proxy: reward model score', x: xAxis(), y: linearAxis('RM score (demonstrations = 0)', allProxy), series: proxy },
      { title: "Gold: labelers' score", x: xAxis(), y: linearAxis('rubric score (0 to 1)', allGold), series: gold },
    ],
    legend: proxy.map((s) => ({ label: s.label, colour: s.colour })),
    caption,
  });
  return { id: 'overoptimisation', title, caption, svg, table };
}
