import { STAGES, type StageName } from '../rlhf/stages';
import { seriesKind, type SeriesKind } from '../state/chartMath';
import { hasOveroptData } from '../state/overoptCurve';

/** Which metric series each stage shows: what the number is, its unit, and what its x axis counts. */
interface ChartSpec {
  stage: string;
  metric: string;
  label: string;
  /** the y axis's title (the metric's unit); none for a score or a count that names itself */
  unit?: string;
  /** what one point is: an optimizer step, a PPO iteration, or one logged value (every log interval) */
  x?: 'step' | 'iteration' | 'log point';
  log?: boolean;
}

const KNOWN_CHARTS: ChartSpec[] = [
  { stage: 'pretrain', metric: 'loss', label: 'Training loss', unit: 'nats/token', log: true },
  { stage: 'pretrain', metric: 'gradNorm', label: 'Gradient norm, before clipping to 1', unit: 'L2 norm' },
  { stage: 'pretrain', metric: 'lr', label: 'Learning rate (warm-up, then decay)', x: 'log point' },
  { stage: 'sft', metric: 'loss', label: 'Loss on response tokens', unit: 'nats/token', log: true },
  { stage: 'sft', metric: 'gradNorm', label: 'Gradient norm, before clipping to 1', unit: 'L2 norm' },
  { stage: 'sft', metric: 'lr', label: 'Learning rate (warm-up, then decay)', x: 'log point' },
  { stage: 'rm', metric: 'heldoutAccuracy', label: 'Accuracy on held-out rankings, held-out labelers', unit: 'fraction of pairs' },
  { stage: 'rm', metric: 'trainAccuracy', label: 'Accuracy on training rankings, training labelers', unit: 'fraction of pairs' },
  { stage: 'rm', metric: 'loss', label: 'Ranking loss (ln 2 ≈ 0.69 is a coin flip)', unit: 'nats/pair', log: true },
  { stage: 'rm', metric: 'accuracy', label: 'Pairwise accuracy on training batches', unit: 'fraction of pairs' },
  { stage: 'ppo', metric: 'reward', label: 'Mean RM score of rollouts', unit: 'RM score', x: 'iteration' },
  { stage: 'ppo', metric: 'labelerScore', label: "Labelers' rubric score of rollouts", unit: 'score', x: 'iteration' },
  { stage: 'ppo', metric: 'probeScore', label: "Labelers' score on held-out prompts", unit: 'score', x: 'iteration' },
  { stage: 'ppo', metric: 'kl', label: 'KL to SFT per response', unit: 'nats', x: 'iteration' },
  { stage: 'ppo', metric: 'beta', label: 'KL coefficient β', x: 'iteration' },
  { stage: 'ppo', metric: 'entropy', label: 'Entropy per token', unit: 'nats', x: 'iteration' },
  { stage: 'ppo', metric: 'clipfrac', label: 'Clip fraction', unit: 'fraction', x: 'iteration' },
  { stage: 'ppo', metric: 'approxKl', label: 'Approximate KL between updates', unit: 'nats', x: 'iteration' },
  { stage: 'ppo', metric: 'policyLoss', label: 'Policy loss (clipped surrogate)', x: 'iteration' },
  { stage: 'ppo', metric: 'valueLoss', label: 'Value loss', x: 'iteration', log: true },
  { stage: 'ppo', metric: 'ptxLoss', label: 'ptx (pretraining) loss', unit: 'nats/token', x: 'iteration', log: true },
  { stage: 'ppo', metric: 'responseLength', label: 'Response length', unit: 'tokens', x: 'iteration' },
];

/** What each stage's curves should do when training goes well: read before the curves themselves. */
const STAGE_GROUPS: { stage: StageName; title: string; lookFor: string }[] = [
  {
    stage: 'pretrain',
    title: '0 · Base LM',
    lookFor: 'The loss should fall steeply, then level off; the gradient norm should settle — repeated spikes mean the learning rate is too high.',
  },
  {
    stage: 'sft',
    title: '1 · SFT',
    lookFor: "The loss on the demonstrations' responses should fall well below where it started: the model learns to answer as the labelers wrote.",
  },
  {
    stage: 'rm',
    title: '2 · Reward model',
    lookFor:
      "The ranking loss should fall below ln 2 ≈ 0.69; the RM's held-out accuracy should rise toward the rubric's ceiling of ~0.80 " +
      '(the labelers themselves agree on ~73% of pairs).',
  },
  {
    stage: 'ppo',
    title: '3 · PPO-ptx',
    lookFor:
      "Reward rises; KL stays small; the labelers' score should follow the reward — if it falls while the reward rises, the policy is " +
      'over-optimising the reward model.',
  },
];

/** Bookkeeping series that are not charted (the timings go to the phase bars). */
const HIDDEN = new Set(['iteration', 'rolloutSeconds', 'scoreSeconds', 'updateSeconds', 'step', 'forwardMs', 'backwardMs', 'optimizerMs']);

type Metrics = Record<string, Record<string, number[]>>;

/** The charts to draw for these series: the known ones first, then any other metric by name. */
function chartsFor(stages: Metrics[]): ChartSpec[] {
  const has = (st: string, m: string) => stages.some((s) => (s[st]?.[m]?.length ?? 0) > 0);
  const out = KNOWN_CHARTS.filter((c) => has(c.stage, c.metric));
  const known = new Set(KNOWN_CHARTS.map((c) => `${c.stage}.${c.metric}`));
  for (const stage of STAGES) {
    const names = new Set(stages.flatMap((s) => Object.keys(s[stage] ?? {})));
    for (const metric of names) {
      if (known.has(`${stage}.${metric}`) || HIDDEN.has(metric) || !has(stage, metric)) continue;
      out.push({ stage, metric, label: metric, x: stage === 'ppo' ? 'iteration' : 'step', log: /loss/i.test(metric) });
    }
  }
  return out;
}

/** A stage's metrics split by what they call for: numbers (one point, or never changed) and charts. */
interface StageView {
  stage: StageName;
  title: string;
  lookFor: string;
  figures: { spec: ChartSpec; kind: Exclude<SeriesKind, 'empty' | 'curve'> }[];
  charts: ChartSpec[];
  /** PPO: the over-optimisation chart (RM score and gold against √KL), once two iterations have all three numbers */
  overopt?: { title: string; lookFor: string };
}

/** The over-optimisation chart sits with PPO, as its first chart: the question RLHF's reward model raises. */
const OVEROPT = {
  title: 'RM score (proxy) and labelers’ rubric score (gold) against √KL from SFT',
  lookFor: 'the gold score should rise, then flatten or fall while the RM score keeps rising: over-optimisation.',
};

/**
 * The stages that have something to show, in pipeline order. `placeholder` keeps the first stage's
 * loss chart up before any data (the live page), so the first metrics of a run fill a chart instead
 * of building the section.
 */
export function stageViews(stages: Metrics[], placeholder: boolean): StageView[] {
  const specs = chartsFor(stages);
  const views: StageView[] = [];
  for (const g of STAGE_GROUPS) {
    const view: StageView = { ...g, figures: [], charts: [] };
    for (const spec of specs.filter((c) => c.stage === g.stage)) {
      const kind = seriesKind(stages.map((s) => s[spec.stage]?.[spec.metric] ?? []));
      if (kind === 'value' || kind === 'constant') view.figures.push({ spec, kind });
      else if (kind === 'curve') view.charts.push(spec);
    }
    if (g.stage === 'ppo' && hasOveroptData(stages.map((s) => s.ppo))) view.overopt = OVEROPT;
    if (view.figures.length || view.charts.length) views.push(view);
  }
  if (!views.length && placeholder) views.push({ ...STAGE_GROUPS[0], figures: [], charts: [KNOWN_CHARTS[0]] });
  return views;
}
