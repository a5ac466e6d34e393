import type { GPTConfig } from '../model/config';
import type { Weights } from './snapshot';
import type { JudgedPolicy, PipelineCheckpoint } from './pipelineTypes';

/**
 * Judging an imported policy against a saved run: the run's end-of-PPO checkpoint with the policy
 * replaced by the imported weights. Resuming from it runs only the evaluation, with the run's seed,
 * its evaluation prompts and its held-out labelers (their noise is calibrated on the held-out sets
 * the checkpoint keeps), so the imported policy is judged exactly as the run's own PPO policy was:
 * the base and SFT answers, and so their scores, are the run's. Pure (no tfjs): the page builds it.
 */

/** The fields of a model's shape, with the names a Hugging Face GPT-2 config.json gives them. */
const SHAPE: readonly [keyof GPTConfig, string][] = [
  ['vocabSize', 'vocab_size'],
  ['contextLength', 'n_positions'],
  ['dModel', 'n_embd'],
  ['nLayer', 'n_layer'],
  ['nHead', 'n_head'],
  ['mlpRatio', 'n_inner / n_embd'],
];

/**
 * Why a model of shape `model` cannot stand in for the policy of a run whose model is `run` ('' when
 * it can): every field that differs, by its config.json name, with both values.
 */
export function judgeShapeProblem(model: GPTConfig, run: GPTConfig, runName: string): string {
  const diff = SHAPE.filter(([k]) => model[k] !== run[k]).map(([k, hf]) => `${hf} ${model[k]} (the run’s: ${run[k]})`);
  if (!diff.length) return '';
  const vocab = model.vocabSize !== run.vocabSize ? ' A different vocabulary is a different tokenizer: its answers cannot be read with this app’s.' : '';
  const what = `The imported policy does not have the shape of “${runName}”’s model: ${diff.join(', ')}.`;
  return `${what}${vocab} Only a model of the run’s own shape can be judged against it.`;
}

/**
 * The end-of-PPO checkpoint of `run` with its policy replaced by `policy` (imported from `source`).
 * Throws an Error whose message is plain text for the user when the checkpoint is not an end of
 * PPO or the policy does not have the run's shape (config, or any tensor's size). The EMA, when the
 * run kept one, is dropped: the evaluation then judges the `policy` model (ppoStage.ts).
 */
export function judgedPolicyCheckpoint(
  endOfPpo: PipelineCheckpoint,
  policy: { cfg: GPTConfig; weights: Weights; source: string },
  run: { id: string; name: string; model: GPTConfig; eval: JudgedPolicy['run_eval'] },
): PipelineCheckpoint {
  if (endOfPpo.stage !== 'ppo' || !endOfPpo.final) throw new Error(`“${run.name}” has no checkpoint from the end of PPO: it cannot judge a policy yet.`);
  const shape = judgeShapeProblem(policy.cfg, run.model, run.name);
  if (shape) throw new Error(shape);
  const own = endOfPpo.models.policy;
  if (!own) throw new Error(`The end-of-PPO checkpoint of “${run.name}” holds no policy to replace.`);
  const names = [...own.keys()].filter((n) => !n.startsWith('score.'));
  const missing = names.filter((n) => !policy.weights.has(n));
  if (missing.length) throw new Error(`The imported policy lacks ${missing.length} of the run’s tensors (${missing.slice(0, 3).join(', ')}).`);
  const extra = [...policy.weights.keys()].filter((n) => !own.has(n));
  if (extra.length) throw new Error(`The imported policy has tensors the run’s model does not (${extra.slice(0, 3).join(', ')}).`);
  for (const n of names) {
    const got = policy.weights.get(n)!.length;
    const want = own.get(n)!.length;
    if (got !== want) throw new Error(`The imported policy’s ${n} has ${got} values; the run’s has ${want}.`);
  }
  const { ema: _ema, ...models } = endOfPpo.models;
  const judged: JudgedPolicy = { policy: policy.source, run_id: run.id, run_name: run.name, run_eval: run.eval };
  return {
    stage: 'ppo',
    step: endOfPpo.step,
    final: true,
    models: { ...models, policy: policy.weights },
    extra: { ...endOfPpo.extra, judged },
  };
}
