import { zipSync, strToU8 } from 'fflate';
import type { GPTConfig } from '../model/config';
import type { PipelineConfig } from '../rlhf/config';
import type { RunData } from '../rlhf/pipelineTypes';
import { exportModel, type Weights } from './modelFiles';
import { foldScoreBias } from './scoreBiasFold';
import { rankingsToPreferences, toJsonl } from './jsonlExport';
import { trlSettings } from './trlSettings';
import { trlBundleReadme } from './trlBundleReadme';

/**
 * "Continue in TRL": a saved run as one zip that Hugging Face TRL trains on (python/ in this
 * repository has the scripts). Pure: no DOM, no tfjs.
 *
 *   models/sft, models/reward, models/value, models/policy   HF GPT-2 folders (modelFiles.ts); the
 *        reward and value models' score.bias folded into ln_f.bias (foldScoreBias), so HF's bias-less
 *        GPT2ForSequenceClassification gives the app's scores
 *   data/sft.jsonl (+ _conversational)                        the demonstrations SFT trained on
 *   data/preferences_{train,heldout}.jsonl (+ _conversational) the K-way rankings expanded to their C(K,2) pairs
 *   data/rankings_{train,heldout}.jsonl                       the K-way rankings themselves, best first
 *   data/prompts_{train,val,test}.jsonl                       TRL's prompt-only rows: PPO's prompts, val, test
 *   trl_settings.json                                         the run's settings in TRL's names, and what has no equivalent
 *   README.md                                                 what is where, the commands, the caveats
 */

export interface TrlBundleInput {
  runName: string;
  /** the model shape (the run's preset) */
  cfg: GPTConfig;
  /** the run's settings */
  config: PipelineConfig;
  /** the task's longest response in tokens, EOS included */
  maxResponseTokens: number;
  /** from the run's latest checkpoint: sft, reward, value, policy (whichever it has) */
  models: Record<string, Weights>;
  /** from the reward model's final checkpoint; absent for runs saved before it was kept */
  data?: RunData;
  /** written into each model's safetensors metadata */
  provenance?: Record<string, string>;
}

const MODELS = ['sft', 'reward', 'value', 'policy'] as const;

const prompts = (list: string[]) => (list.length ? list.map((prompt) => JSON.stringify({ prompt })).join('\n') + '\n' : '');

/** The bundle's files by path. */
function trlBundleFiles(input: TrlBundleInput): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {};
  const present = MODELS.filter((m) => input.models[m]);
  for (const name of present) {
    const head = name === 'reward' || name === 'value' ? 'score' : 'lm';
    const weights = head === 'score' ? foldScoreBias(input.models[name]) : input.models[name];
    const out = exportModel(input.cfg, weights, head, { model: name, ...input.provenance });
    for (const [file, content] of Object.entries(out)) files[`models/${name}/${file}`] = content;
  }
  const d = input.data;
  if (d) {
    files['data/sft.jsonl'] = toJsonl('demonstrations', d.demonstrations);
    files['data/sft_conversational.jsonl'] = toJsonl('demonstrations', d.demonstrations, 'conversational');
    for (const split of ['train', 'heldout'] as const) {
      const pairs = rankingsToPreferences(d.rankings[split]);
      files[`data/preferences_${split}.jsonl`] = toJsonl('preferences', pairs);
      files[`data/preferences_${split}_conversational.jsonl`] = toJsonl('preferences', pairs, 'conversational');
      files[`data/rankings_${split}.jsonl`] = toJsonl('rankings', d.rankings[split]);
    }
    for (const split of ['train', 'val', 'test'] as const) files[`data/prompts_${split}.jsonl`] = prompts(d.prompts[split]);
  }
  const settings = trlSettings(input.config, input.maxResponseTokens);
  files['trl_settings.json'] = JSON.stringify(settings, null, 2) + '\n';
  files['README.md'] = trlBundleReadme({ runName: input.runName, models: [...present], data: d, settings });
  return files;
}

/** The bundle as one zip, stored uncompressed (weights hardly compress, so building it is a copy). */
export function trlBundle(input: TrlBundleInput): Uint8Array {
  const files = trlBundleFiles(input);
  const bytes: Record<string, Uint8Array> = {};
  for (const [path, content] of Object.entries(files)) bytes[path] = typeof content === 'string' ? strToU8(content) : content;
  return zipSync(bytes, { level: 0 });
}
