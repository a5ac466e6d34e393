import { STAGES } from '../rlhf/stages';

/** Which metric series each stage shows, with a label saying what the number is. */
export interface ChartSpec {
  stage: string;
  metric: string;
  label: string;
  log?: boolean;
}

export const KNOWN_CHARTS: ChartSpec[] = [
  { stage: 'pretrain', metric: 'loss', label: 'Base LM · training loss (nats/token)', log: true },
  { stage: 'sft', metric: 'loss', label: 'SFT · loss on response tokens (nats/token)', log: true },
  { stage: 'rm', metric: 'loss', label: 'Reward model · ranking loss', log: true },
  { stage: 'rm', metric: 'accuracy', label: 'Reward model · pairwise accuracy on training batches' },
  { stage: 'rm', metric: 'trainAccuracy', label: 'Reward model · accuracy, training labelers' },
  { stage: 'rm', metric: 'heldoutAccuracy', label: 'Reward model · accuracy, held-out labelers' },
  { stage: 'ppo', metric: 'reward', label: 'PPO · mean RM score of rollouts' },
  { stage: 'ppo', metric: 'labelerScore', label: 'PPO · labeler rubric score of rollouts' },
  { stage: 'ppo', metric: 'probeScore', label: 'PPO · labeler score on held-out prompts' },
  { stage: 'ppo', metric: 'kl', label: 'PPO · KL to SFT per response (nats)' },
  { stage: 'ppo', metric: 'entropy', label: 'PPO · entropy per token' },
  { stage: 'ppo', metric: 'clipfrac', label: 'PPO · clip fraction' },
  { stage: 'ppo', metric: 'approxKl', label: 'PPO · approximate KL between updates' },
  { stage: 'ppo', metric: 'valueLoss', label: 'PPO · value loss', log: true },
  { stage: 'ppo', metric: 'ptxLoss', label: 'PPO · ptx (pretraining) loss', log: true },
  { stage: 'ppo', metric: 'responseLength', label: 'PPO · response length (tokens)' },
];

/** Bookkeeping series that are not charted as curves (timings go to the phase bar). */
const HIDDEN = new Set(['iteration', 'rolloutSeconds', 'scoreSeconds', 'updateSeconds', 'step']);
const STAGE_TITLES: Record<string, string> = { pretrain: 'Base LM', sft: 'SFT', rm: 'Reward model', ppo: 'PPO' };

/** The charts to draw for these series: the known ones first, then any other metric by name. */
export function chartsFor(stages: Record<string, Record<string, number[]>>[]): ChartSpec[] {
  const has = (st: string, m: string) => stages.some((s) => (s[st]?.[m]?.length ?? 0) > 0);
  const out = KNOWN_CHARTS.filter((c) => has(c.stage, c.metric));
  const known = new Set(KNOWN_CHARTS.map((c) => `${c.stage}.${c.metric}`));
  for (const stage of STAGES) {
    const names = new Set(stages.flatMap((s) => Object.keys(s[stage] ?? {})));
    for (const metric of names) {
      if (known.has(`${stage}.${metric}`) || HIDDEN.has(metric) || !has(stage, metric)) continue;
      out.push({ stage, metric, label: `${STAGE_TITLES[stage]} · ${metric}`, log: /loss/i.test(metric) });
    }
  }
  return out;
}
