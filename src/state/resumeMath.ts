import { STAGES, type StageName } from '../rlhf/stages';

const ORDER: readonly StageName[] = STAGES;

/** How many values of each metric a mid-pretraining/SFT checkpoint had sent (its loop cursor), if it says. */
function sentCounts(extra: unknown): Record<string, number> | undefined {
  const counts = (extra as { lm?: { metricCounts?: unknown } } | undefined)?.lm?.metricCounts;
  return counts && typeof counts === 'object' ? (counts as Record<string, number>) : undefined;
}

/**
 * The metric histories a run keeps when it resumes from a checkpoint: everything up to the
 * checkpoint, nothing after (those steps are trained again and their metrics arrive anew).
 * Mid-pretraining or mid-SFT, the checkpoint counts the values it had sent per metric (the loss
 * is per step, the learning rate per log point); in PPO one value per iteration, except the
 * held-out probe, logged every `probeEvery` iterations. Pure.
 */
export function metricsAtCheckpoint(
  metrics: Record<StageName, Record<string, number[]>>,
  ckpt: { stage: StageName; step: number; final: boolean; extra?: unknown },
  probeEvery: number,
): Record<StageName, Record<string, number[]>> {
  const at = ORDER.indexOf(ckpt.stage);
  const counts = sentCounts(ckpt.extra);
  const out = {} as Record<StageName, Record<string, number[]>>;
  ORDER.forEach((stage, i) => {
    const byName = metrics[stage] ?? {};
    out[stage] = {};
    for (const [name, xs] of Object.entries(byName)) {
      if (i < at || (i === at && ckpt.final)) out[stage][name] = [...xs];
      else if (i > at) out[stage][name] = [];
      else {
        const keep = counts ? (counts[name] ?? 0) : name === 'probeScore' ? (probeEvery > 0 ? Math.floor(ckpt.step / probeEvery) : 0) : ckpt.step;
        out[stage][name] = xs.slice(0, keep);
      }
    }
  });
  return out;
}

/** Stage status after resuming from the checkpoint: done up to it, then running, then waiting. */
export function statusAtCheckpoint(ckpt: { stage: StageName; final: boolean }): Record<StageName, 'waiting' | 'running' | 'done'> {
  const at = ORDER.indexOf(ckpt.stage);
  const out = {} as Record<StageName, 'waiting' | 'running' | 'done'>;
  ORDER.forEach((stage, i) => {
    out[stage] = i < at || (i === at && ckpt.final) ? 'done' : i === at ? 'running' : 'waiting';
  });
  return out;
}
