import * as tf from '@tensorflow/tfjs';
import type { GPT, KVCache } from './gpt';
import { sampleToken, type SamplingOptions } from './sampling';
import { Rng } from '../util/rng';
import { EOS, PAD, BOS } from './tokenizer';
import { KVDecoder, kvDecoderActive } from './decoder';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed: number;
  /** true: KV cache, one new token per step. false: recompute the whole context every step (reference). */
  useCache: boolean;
}

export interface Generation {
  /** new tokens per row, ending with EOS when the row finished */
  tokens: number[][];
  finished: boolean[];
}

/**
 * Batched sampling. Prompts of different lengths are LEFT-padded to a common length P; pads are
 * masked out of attention and positions restart at 0 at each row's first real token, so a row
 * generates the same text alone or in a batch. Rows stop at EOS; the batch stops when all rows
 * have stopped or the context is full.
 */
export async function generate(model: GPT, prompts: number[][], opts: GenerateOptions): Promise<Generation> {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens, model.cfg.contextLength - P));
  const rng = new Rng(opts.seed);
  const pads = prompts.map((p) => P - p.length);
  const rows: number[][] = prompts.map((p, b) => [...new Array(pads[b]).fill(PAD), ...p]);
  const out: number[][] = prompts.map(() => []);
  const finished = prompts.map(() => false);
  const cache: KVCache = { k: [], v: [] };
  const decoder = opts.useCache && maxNew > 0 && kvDecoderActive(model) ? new KVDecoder(model, pads) : null;
  try {
    for (let step = 0; step < maxNew; step++) {
      const Tk = P + step;
      let logits: tf.Tensor2D;
      if (decoder) {
        if (step === 0) logits = tf.tidy(() => decoder.prefill(tf.tensor2d(rows.flat(), [B, P], 'int32')));
        else logits = tf.tidy(() => decoder.step(tf.tensor1d(rows.map((r) => r[Tk - 1]), 'int32'), Tk - 1));
      } else logits = opts.useCache && step > 0 ? decodeStep(model, rows, pads, cache) : fullStep(model, rows, pads, opts.useCache ? cache : undefined);
      const data = await logits.data(); // (B, V): generation reads one small row per step
      logits.dispose();
      const V = model.cfg.vocabSize;
      for (let b = 0; b < B; b++) {
        const next = finished[b] ? PAD : sampleToken(data.subarray(b * V, (b + 1) * V), opts, rng, BANNED);
        rows[b].push(next);
        if (finished[b]) continue;
        out[b].push(next);
        if (next === EOS) finished[b] = true;
      }
      if (finished.every(Boolean) || Tk + 1 >= model.cfg.contextLength) break;
    }
  } finally {
    for (const t of [...cache.k, ...cache.v]) t.dispose();
    decoder?.dispose();
  }
  return { tokens: out, finished };
}

/** PAD and BOS are never generated. */
const BANNED = new Set([PAD, BOS]);

function keyValid(pads: number[], Tk: number): tf.Tensor2D {
  const data = new Float32Array(pads.length * Tk);
  pads.forEach((pad, b) => data.fill(1, b * Tk + pad, (b + 1) * Tk));
  return tf.tensor2d(data, [pads.length, Tk]);
}

function positionsFor(pads: number[], from: number, to: number): tf.Tensor2D {
  const T = to - from;
  const data = new Int32Array(pads.length * T);
  pads.forEach((pad, b) => {
    for (let j = 0; j < T; j++) data[b * T + j] = Math.max(0, from + j - pad);
  });
  return tf.tensor2d(data, [pads.length, T], 'int32');
}

/** Runs the whole context (B, Tk) and returns the last position's logits (B, V). Fills `cache` when given. */
function fullStep(model: GPT, rows: number[][], pads: number[], cache?: KVCache): tf.Tensor2D {
  return tf.tidy(() => {
    const B = rows.length;
    const Tk = rows[0].length;
    const tokens = tf.tensor2d(rows.flat(), [B, Tk], 'int32');
    const h = model.hidden(tokens, { positions: positionsFor(pads, 0, Tk), keyValid: keyValid(pads, Tk), cache });
    const last = h.reshape([B, Tk, model.cfg.dModel]).slice([0, Tk - 1, 0], [B, 1, model.cfg.dModel]).reshape([B, model.cfg.dModel]);
    return model.unembed(last as tf.Tensor2D);
  });
}

/** Feeds only the newest token of each row (B, 1) against the cached keys/values; returns (B, V). */
function decodeStep(model: GPT, rows: number[][], pads: number[], cache: KVCache): tf.Tensor2D {
  const old = [...cache.k, ...cache.v];
  const logits = tf.tidy(() => {
    const B = rows.length;
    const Tk = rows[0].length;
    const tokens = tf.tensor2d(rows.map((r) => r[Tk - 1]), [B, 1], 'int32');
    const h = model.hidden(tokens, { positions: positionsFor(pads, Tk - 1, Tk), keyValid: keyValid(pads, Tk), cache });
    return model.unembed(h);
  });
  for (const t of old) t.dispose(); // replaced by the concatenated cache
  return logits;
}
