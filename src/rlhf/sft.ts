import { BOS, EOS, PAD, encode } from '../model/tokenizer';
import type { Rng } from '../util/rng';
import type { TokenBatch } from '../train/batches';
import type { SequenceLayout } from './sequences';

/**
 * SFT batches: [BOS prompt response EOS pad…] right-padded to P+R, next-token targets, and a loss
 * mask that is 1 only where the TARGET is a response token (including EOS) — the model is not
 * trained to produce the prompt. Right padding with positions from 0 is, for a causal model with
 * masked pads, exactly what generation sees with its left-padded prompts.
 */
export function sftBatch(layout: SequenceLayout, pairs: { prompt: string; response: string }[], B: number, rng: Rng): TokenBatch {
  const T = layout.P + layout.R - 1;
  const inputs = new Int32Array(B * T).fill(PAD);
  const targets = new Int32Array(B * T).fill(PAD);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const { prompt, response } = pairs[rng.int(pairs.length)];
    const p = [BOS, ...encode(prompt)].slice(-layout.P);
    const r = [...encode(response), EOS].slice(0, layout.R);
    const seq = [...p, ...r];
    for (let t = 0; t < Math.min(T, seq.length - 1); t++) {
      inputs[b * T + t] = seq[t];
      targets[b * T + t] = seq[t + 1];
      if (t + 1 >= p.length) mask[b * T + t] = 1;
    }
  }
  return { B, T, inputs, targets, mask };
}
