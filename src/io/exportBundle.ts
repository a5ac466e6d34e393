import { zipSync, strToU8 } from 'fflate';
import type { GPTConfig } from '../model/config';
import { exportModel, type Weights } from './modelFiles';

/**
 * All models of a checkpoint as one zip: `<model>/model.safetensors`, `<model>/config.json` and the
 * tokenizer files, one folder per model (policy, sft, base, reward, value, ema). Reward and value
 * models get the scalar head; the others are language models. Stored uncompressed (weights
 * hardly compress), so building it is a copy.
 */
export function exportBundle(cfg: GPTConfig, models: Record<string, Weights>, provenance: Record<string, string> = {}): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, weights] of Object.entries(models)) {
    const head = name === 'reward' || name === 'value' ? 'score' : 'lm';
    const out = exportModel(cfg, weights, head, { model: name, ...provenance });
    for (const [file, content] of Object.entries(out)) files[`${name}/${file}`] = typeof content === 'string' ? strToU8(content) : content;
  }
  return zipSync(files, { level: 0 });
}
