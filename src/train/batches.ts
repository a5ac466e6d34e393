import { BOS, EOS, encode } from '../model/tokenizer';
import type { Rng } from '../util/rng';

/** A batch for next-token training: all arrays are (B·T) row-major. mask = 1 where the loss counts. */
export interface TokenBatch {
  B: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
}

/** Documents → one token stream: BOS doc EOS BOS doc EOS ... (for pretraining). */
export function packCorpus(docs: string[]): Int32Array {
  const ids: number[] = [];
  for (const doc of docs) ids.push(BOS, ...encode(doc), EOS);
  return Int32Array.from(ids);
}

/** B random windows of T+1 tokens from the stream; inputs are the first T, targets the last T. */
export function sampleWindows(stream: Int32Array, B: number, T: number, rng: Rng): TokenBatch {
  if (stream.length < T + 1) throw new Error(`corpus too short (${stream.length} tokens) for context ${T}`);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = rng.int(stream.length - T);
    inputs.set(stream.subarray(start, start + T), b * T);
    targets.set(stream.subarray(start + 1, start + T + 1), b * T);
  }
  return { B, T, inputs, targets, mask: new Float32Array(B * T).fill(1) };
}
