import { STAGES_AND_EVAL, stageIndex, type StageName } from '../rlhf/stages';
import { pointKey, sweepForkStage } from './sweepPlan';
import type { SweepRecord } from './sweepRecord';

/** The stage a sweep is in now: which seed and setup (its index among the seed's setups still to run). */
export interface SweepLive {
  seed: number;
  value: string;
  variant: number;
  stage: StageName | 'eval';
  /** when the stage started (ms, the clock the driver was given) */
  since: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Seconds the sweep still needs, estimated from the stages it has finished: each stage still to
 * run takes the mean time of its finished runs, the one running now that mean less the time it has
 * run already. Per seed the stages before the fork stage run once, the rest once per setup (the
 * seed's first setup runs them all). Null until every stage still needed has run once. Pure.
 */
export function sweepEta(rec: SweepRecord, live: SweepLive | null, now: number): number | null {
  const byStage = new Map<string, number[]>();
  for (const t of rec.stageTimes) byStage.set(t.stage, [...(byStage.get(t.stage) ?? []), t.seconds]);
  const mean = (s: string): number | null => {
    const xs = byStage.get(s);
    return xs?.length ? sum(xs) / xs.length : null;
  };
  let missing = false;
  const time = (stages: readonly string[]): number =>
    sum(
      stages.map((s) => {
        const m = mean(s);
        if (m === null) missing = true;
        return m ?? 0;
      }),
    );
  const fork = stageIndex(sweepForkStage(rec.plan));
  const all = STAGES_AND_EVAL;
  const perSetup = all.slice(fork);
  let total = 0;
  for (const seed of rec.plan.seeds) {
    const left = rec.plan.values.filter((_, j) => !rec.reports[pointKey(seed, j)]).length;
    if (left === 0) continue;
    if (live && live.seed === seed) {
      // the setup running now: the rest of its stage, then its later stages; then the seed's other setups
      const m = mean(live.stage);
      if (m === null) missing = true;
      total += Math.max(0, (m ?? 0) - (now - live.since) / 1000);
      total += time(all.slice(stageIndex(live.stage) + 1));
      total += (left - 1) * time(perSetup);
    } else total += time(all) + (left - 1) * time(perSetup);
  }
  return missing ? null : total;
}
