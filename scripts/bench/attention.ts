import * as tf from '@tensorflow/tfjs';
import { causalAttention } from '../../src/kernels/attention/op';
import { attentionReference, causalBias } from '../../src/model/attention';
import { setTuning } from '../../src/kernels/tuning';
import { median } from './median';

/**
 * Fused causal attention vs the model's reference (attentionReference with a cached causal bias,
 * what gpt.ts runs), forward + backward, on the active backend (webgpu for a meaningful number).
 * Timings are medians after warm-up, the two sides interleaved; bytes are the peak of tfjs's memory accounting during one
 * forward+backward, above what was allocated before it (inputs excluded).
 * `npm run bench` (scripts/bench.mjs → scripts/bench/ours.ts) calls it for the `attention_fwd_bwd` entry of bench.json.
 */
export interface AttentionShape {
  B: number;
  nh: number;
  T: number;
  hs: number;
}

export interface AttentionBenchResult {
  shape: AttentionShape;
  custom_ms: number;
  reference_ms: number;
  speedup: number;
  custom_bytes: number;
  reference_bytes: number;
}

type Attn = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D;

/** One forward + backward with a fixed upstream gradient; resolves when the GPU is done. */
async function fwdBwd(attn: Attn, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, dO: tf.Tensor4D): Promise<void> {
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    tf.sum(tf.mul(attn(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D), dO)),
  )([q, k, v]);
  await Promise.all(grads.map((g) => g.data()));
  tf.dispose([value, ...grads]);
}

/** Peak bytes of tfjs's memory accounting during one call, above what was allocated before. */
async function peakBytes(attn: Attn, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, dO: tf.Tensor4D): Promise<number> {
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => fwdBwd(attn, q, k, v, dO));
  return profile.peakBytes - before;
}

export async function benchAttention(shape: AttentionShape, { warmup = 2, reps = 5 } = {}): Promise<AttentionBenchResult> {
  const { B, nh, T, hs } = shape;
  const q = tf.randomNormal([B, nh, T, hs], 0, 1, 'float32', 1) as tf.Tensor4D;
  const k = tf.randomNormal([B, nh, T, hs], 0, 1, 'float32', 2) as tf.Tensor4D;
  const v = tf.randomNormal([B, nh, T, hs], 0, 1, 'float32', 3) as tf.Tensor4D;
  const dO = tf.randomNormal([B, nh, T, hs], 0, 1, 'float32', 4) as tf.Tensor4D;
  const bias = causalBias(T);
  try {
    setTuning({ fusedKernels: true });
    const custom: Attn = (a, b, c) => causalAttention(a, b, c);
    const reference: Attn = (a, b, c) => attentionReference(a, b, c, bias);
    for (let i = 0; i < warmup; i++) for (const attn of [custom, reference]) await fwdBwd(attn, q, k, v, dO);
    // interleaved, so a slow phase of a shared machine hits both sides alike
    const times = { custom: [] as number[], reference: [] as number[] };
    for (let i = 0; i < reps; i++)
      for (const [name, attn] of [
        ['custom', custom],
        ['reference', reference],
      ] as const) {
        const t0 = performance.now();
        await fwdBwd(attn, q, k, v, dO);
        times[name].push(performance.now() - t0);
      }
    const custom_ms = median(times.custom);
    const reference_ms = median(times.reference);
    return {
      shape,
      custom_ms,
      reference_ms,
      speedup: reference_ms / custom_ms,
      custom_bytes: await peakBytes(custom, q, k, v, dO),
      reference_bytes: await peakBytes(reference, q, k, v, dO),
    };
  } finally {
    tf.dispose([q, k, v, dO, bias]);
  }
}
