import * as tf from '@tensorflow/tfjs';
import type { GPT } from './gpt';

/**
 * GPT.hidden for one sequence, with every layer's attention pattern recorded on the way. This copy
 * of the attention exists because the fused kernels never materialise the (T, T) weights; the
 * LayerNorms and MLPs are GPT's own (tests/gpu/attentionMaps.test.ts checks the logits agree):
 *
 *   x   = wte[tokens] + wpe[0..T-1]                                  (T, C)
 *   per layer:  q, k, v = split(ln_1(x) @ W_attn + b)                 (nh, T, hs) each
 *               A       = softmax(q kᵀ / √hs + causal)                (nh, T, T)   ← recorded
 *               x      += merge(A v) @ W_proj + b
 *               x      += mlp(ln_2(x))
 *   logits = ln_f(x) @ wteᵀ                                           (T, V)
 *
 * One row, no padding, positions 0..T-1: a sample as the model reads it from its BOS.
 */
export interface AttentionMaps {
  nLayer: number;
  nHead: number;
  T: number;
  /** softmax weights, row-major (L, H, T, T): query i (row) over keys j (columns) */
  weights: Float32Array;
  /** final logits (T, V) */
  logits: Float32Array;
}

const dense = (model: GPT, x: tf.Tensor2D, name: string): tf.Tensor2D =>
  tf.add(tf.matMul(x, model.p(`${name}.weight`) as tf.Tensor2D), model.p(`${name}.bias`)) as tf.Tensor2D;

export async function attentionMaps(model: GPT, tokens: number[]): Promise<AttentionMaps> {
  const { nLayer, nHead, dModel: C, contextLength } = model.cfg;
  const T = tokens.length;
  if (T < 1 || T > contextLength) throw new Error(`attentionMaps: 1 to ${contextLength} tokens expected, got ${T}`);
  const hs = C / nHead;
  const maps: tf.Tensor[] = [];
  const logits = tf.tidy(() => {
    const ids = tf.tensor1d(tokens, 'int32');
    let x = tf.add(tf.gather(model.p('wte.weight'), ids), model.p('wpe.weight').slice([0, 0], [T, C])) as tf.Tensor2D; // (T, C)
    const causal = tf.tensor2d(
      Float32Array.from({ length: T * T }, (_, n) => (n % T > Math.floor(n / T) ? -1e9 : 0)),
      [T, T],
    );
    const heads = (t: tf.Tensor) => t.reshape([T, nHead, hs]).transpose([1, 0, 2]); // (nh, T, hs)
    for (let i = 0; i < nLayer; i++) {
      const h = `h.${i}`;
      const qkv = dense(model, model.ln(x, `${h}.ln_1`), `${h}.attn.c_attn`); // (T, 3C)
      const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), causal); // (nh, T, T)
      const att = tf.softmax(scores);
      maps.push(tf.keep(att));
      const y = tf.matMul(att, v).transpose([1, 0, 2]).reshape([T, C]) as tf.Tensor2D; // (T, C)
      x = tf.add(x, dense(model, y, `${h}.attn.c_proj`)) as tf.Tensor2D;
      x = tf.add(x, model.mlp(model.ln(x, `${h}.ln_2`), i)) as tf.Tensor2D;
    }
    return model.unembed(model.ln(x, 'ln_f')); // (T, V)
  });
  try {
    const weights = new Float32Array(nLayer * nHead * T * T);
    for (let i = 0; i < nLayer; i++) weights.set((await maps[i].data()) as Float32Array, i * nHead * T * T);
    return { nLayer, nHead, T, weights, logits: (await logits.data()) as Float32Array };
  } finally {
    tf.dispose([...maps, logits]);
  }
}
