import { centredMean } from '../plots/stats';

/**
 * The over-optimisation picture of one run (Gao et al. 2022), from its PPO metric series: per
 * iteration, the reward model's score of the rollouts (proxy), the labelers' noise-free rubric score
 * of the same rollouts (gold) and √KL from SFT. The sweep report's plot (plots/overoptimisation.ts)
 * draws the same three numbers for many runs; this is the live page's one run. Pure.
 */
export interface OveroptPoint {
  iteration: number;
  /** √KL from SFT; a negative batch estimate (k1 dips below 0 while the policy is still SFT) counts as 0 */
  x: number;
  proxy: number;
  gold: number;
}

/** Iterations averaged into one point of the drawn curve (centred; 2 at the ends), as the sweep plot does. */
const SMOOTH = 3;

/** The PPO series as points: `raw` one per iteration with all three numbers, `smooth` their centred means. */
export function overoptCurve(ppo: Record<string, readonly number[]> | undefined): { raw: OveroptPoint[]; smooth: OveroptPoint[] } {
  const kl = ppo?.kl ?? [];
  const proxy = ppo?.reward ?? [];
  const gold = ppo?.labelerScore ?? [];
  const its: { iteration: number; kl: number; proxy: number; gold: number }[] = [];
  for (let i = 0; i < Math.min(kl.length, proxy.length, gold.length); i++) {
    if ([kl[i], proxy[i], gold[i]].every(Number.isFinite)) its.push({ iteration: i + 1, kl: kl[i], proxy: proxy[i], gold: gold[i] });
  }
  const root = (k: number) => Math.sqrt(Math.max(0, k));
  // KL is smoothed before the root, as in the sweep plot: one iteration's KL is an estimate from its rollouts and jumps
  const [sKl, sProxy, sGold] = (['kl', 'proxy', 'gold'] as const).map((key) =>
    centredMean(
      its.map((it) => it[key]),
      SMOOTH,
    ),
  );
  return {
    raw: its.map((it) => ({ iteration: it.iteration, x: root(it.kl), proxy: it.proxy, gold: it.gold })),
    smooth: its.map((it, i) => ({ iteration: it.iteration, x: root(sKl[i]), proxy: sProxy[i], gold: sGold[i] })),
  };
}

/** Enough to draw: two iterations with all three numbers, in at least one run. */
export function hasOveroptData(runs: readonly (Record<string, readonly number[]> | undefined)[]): boolean {
  return runs.some((ppo) => overoptCurve(ppo).raw.length >= 2);
}
