import type { ExampleManifest } from '../rlhf/exampleStart';
import type { PipelineReport } from '../rlhf/pipelineTypes';

/** The quick path's words: what the shipped example is, and what a run from it trained here. Pure. */

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const secs = (x: number): string => `${Math.round(x)} s`;

/** What the example holds and what the quick path trains here, before it runs. */
export function exampleAbout(m: ExampleManifest, cfg: { rm: { steps: number; trainPrompts: number }; ppo: { iterations: number; beta: number } }): string {
  const s = m.report.stages;
  return (
    `The shipped example is one ${m.preset} run of the ${m.task} task (seed ${m.seed}): a base model pretrained ${s.pretrain.steps} steps and its SFT ` +
    `model fine-tuned ${s.sft.steps} steps on demonstrations, made by ${m.made_by}. Here the reward model trains ${cfg.rm.steps} steps on ` +
    `${cfg.rm.trainPrompts} ranking sets of SFT’s answers (a full run: ${m.config.rm.steps} on ${m.config.rm.trainPrompts}), PPO-ptx ` +
    `${cfg.ppo.iterations} iterations against it at β = ${cfg.ppo.beta}${cfg.ppo.beta !== m.config.ppo.beta ? ` (a full run: ${m.config.ppo.beta})` : ''}, ` +
    'and held-out labelers judge base, SFT and PPO.'
  );
}

/** The win rate of a report with its interval: "64% (95% interval 58–70%)". */
function winText(r: PipelineReport): string {
  const ci = r.eval.winrate_ci95;
  return `${pct(r.eval.winrate_ppo_vs_sft)}${ci ? ` (95% interval ${pct(ci[0])}–${pct(ci[1])})` : ''}`;
}

/** What `npm run example` measured on the quick path (its test split), in one sentence. */
export function measuredText(m: ExampleManifest): string {
  const q = m.quick?.report;
  if (!q) return '';
  return (
    `Measured when it was made (${q.backend}, ${q.eval.prompts} ${q.eval.split === 'val' ? 'dev' : 'test'} prompts): PPO preferred to SFT on ${winText(q)}, ` +
    `reward model ${secs(q.stages.rm.seconds)}, PPO ${secs(q.stages.ppo.seconds)}, ${secs(q.seconds)} in all.`
  );
}

/** The result of a quick-path run, saying which stages were trained here. */
export function resultText(r: PipelineReport): string {
  const ls = r.eval.labeler_score;
  return (
    `PPO preferred to SFT on ${winText(r)} of ${r.eval.prompts} ${r.eval.split === 'val' ? 'dev' : 'test'} prompts; labeler score base ` +
    `${ls.base.toFixed(2)}, SFT ${ls.sft.toFixed(2)}, PPO ${ls.ppo.toFixed(2)}. Trained here in ${secs(r.seconds)}: the reward model ` +
    `(${r.stages.rm.steps} steps, held-out accuracy ${pct(r.stages.rm.heldout_accuracy)}, ${secs(r.stages.rm.seconds)}) and PPO-ptx ` +
    `(${r.stages.ppo.iterations} iterations, ${secs(r.stages.ppo.seconds)}), then the evaluation.`
  );
}
