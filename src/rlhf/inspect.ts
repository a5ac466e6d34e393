import * as tf from '@tensorflow/tfjs';
import { gelu, layerNorm, type GPT } from '../model/gpt';

/**
 * A step-by-step reference forward of one sequence through a GPT, from its parameters by name,
 * recording every layer's attention pattern on the way. It is the same math as GPT.logits
 * (tests/gpu/inspect.test.ts checks the final logits agree), so the maps are what the model does:
 *
 *   x   = wte[tokens] + wpe[0..T-1]                                  (T, C)
 *   per layer:  q, k, v = split(ln_1(x) @ W_attn + b)                 (nh, T, hs) each
 *               A       = softmax(q kᵀ / √hs + causal)                (nh, T, T)   ← recorded
 *               x      += merge(A v) @ W_proj + b
 *               x      += gelu(ln_2(x) @ W_fc + b) @ W_mproj + b
 *   logits = ln_f(x) @ wteᵀ                                           (T, V)
 *
 * One row, no padding, positions 0..T-1: a sample as the model reads it from its BOS.
 */
export interface AttentionResult {
  nLayer: number;
  nHead: number;
  T: number;
  /** softmax weights, row-major (L, H, T, T): query i (row) over keys j (columns) */
  weights: Float32Array;
  /** final logits (T, V) */
  logits: Float32Array;
}

const linear = (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D => tf.add(tf.matMul(x, w as tf.Tensor2D), b) as tf.Tensor2D;

export async function attentionMaps(model: GPT, tokens: number[]): Promise<AttentionResult> {
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
      const qkv = linear(layerNorm(x, model.p(`${h}.ln_1.weight`), model.p(`${h}.ln_1.bias`)), model.p(`${h}.attn.c_attn.weight`), model.p(`${h}.attn.c_attn.bias`)); // (T, 3C)
      const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), causal); // (nh, T, T)
      const att = tf.softmax(scores);
      maps.push(tf.keep(att));
      const y = tf.matMul(att, v).transpose([1, 0, 2]).reshape([T, C]) as tf.Tensor2D; // (T, C)
      x = tf.add(x, linear(y, model.p(`${h}.attn.c_proj.weight`), model.p(`${h}.attn.c_proj.bias`))) as tf.Tensor2D;
      const m = linear(
        gelu(linear(layerNorm(x, model.p(`${h}.ln_2.weight`), model.p(`${h}.ln_2.bias`)), model.p(`${h}.mlp.c_fc.weight`), model.p(`${h}.mlp.c_fc.bias`))) as tf.Tensor2D,
        model.p(`${h}.mlp.c_proj.weight`),
        model.p(`${h}.mlp.c_proj.bias`),
      );
      x = tf.add(x, m) as tf.Tensor2D;
    }
    const final = layerNorm(x, model.p('ln_f.weight'), model.p('ln_f.bias'));
    return tf.matMul(final, model.p('wte.weight'), false, true) as tf.Tensor2D; // (T, V)
  });
  try {
    const weights = new Float32Array(nLayer * nHead * T * T);
    for (let i = 0; i < nLayer; i++) weights.set((await maps[i].data()) as Float32Array, i * nHead * T * T);
    return { nLayer, nHead, T, weights, logits: (await logits.data()) as Float32Array };
  } finally {
    tf.dispose([...maps, logits]);
  }
}
