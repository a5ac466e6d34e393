import * as tf from '@tensorflow/tfjs';
import { MASKED, attentionReference, causalBias, paddedCausalBias } from '../../model/attention';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { FUSED_ATTENTION, attentionTiles, fusedAttentionBackward } from './programs';

/**
 * Fused causal attention: the op and its gradient (the webgpu kernel and its passes are in
 * programs.ts: tfjs's op/kernel/gradient triple), plus the composed reference that runs everywhere
 * else.
 *
 *   causalAttention(q, k, v, keyValid?)   q (B, nh, Tq, hs), k/v (B, nh, Tk, hs), Tq ≤ Tk,
 *                                         keyValid (B, Tk) 1 real / 0 pad  →  (B, nh, Tq, hs)
 *
 * Query i sits at key position Tk - Tq + i (Tq = Tk: training/prefill; Tq = 1: decoding); it sees
 * keys j ≤ Tk - Tq + i with keyValid[b, j] = 1. A query that sees no key (a pad query at the
 * start of a left-padded row) outputs ZEROS on both paths, and gets zero gradient.
 *
 * On webgpu with tuning.fusedKernels (and tiles that fit the device) it runs the kernel
 * `FusedCausalAttention`:
 *   - no gradient being recorded: one dispatch writing O (the decode program when Tq = 1);
 *   - under a gradient tape: the forward writes one packed buffer [O | lse] (tfjs programs have
 *     one output); O is copied out of it (one small copy), the packed buffer is the saved
 *     output, and the backward reads O and lse from it directly.
 * The backward is three passes, none holding a (T, T) tensor: D = rowsum(dO∘O), dQ, [dK | dV].
 */

/** True when causalAttention runs the fused kernels for this head size right now. */
function fusedAttentionActive(hs: number): boolean {
  return onWebGPU() && tuning.fusedKernels && (['fwd', 'dq', 'dkdv'] as const).every((p) => attentionTiles(p, hs) !== null);
}

export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, keyValid?: tf.Tensor2D): tf.Tensor4D {
  const [B, nh, Tq, hs] = q.shape;
  const Tk = k.shape[2];
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (q.rank !== 4 || !same(k.shape, [B, nh, Tk, hs]) || !same(v.shape, k.shape))
    throw new Error(`causalAttention: q (B, nh, Tq, hs), k and v (B, nh, Tk, hs) expected; got ${q.shape}, ${k.shape}, ${v.shape}`);
  if (Tq > Tk) throw new Error(`causalAttention: Tq (${Tq}) > Tk (${Tk})`);
  if (keyValid && !same(keyValid.shape, [B, Tk])) throw new Error(`causalAttention: keyValid must be (${B}, ${Tk}); got ${keyValid.shape}`);

  if (!fusedAttentionActive(hs) || q.dtype !== 'float32') return attentionComposed(q, k, v, keyValid);
  // The lse (and the copy of O out of the packed buffer) is only needed when a gradient is recorded.
  const withLse = tf.engine().isTapeOn();
  const inputs = keyValid ? [q, k, v, keyValid] : [q, k, v]; // an array, like AddN: saveAllInputs
  const outs = tf.engine().runKernel(FUSED_ATTENTION, inputs as unknown as tf.NamedTensorMap, { withLse } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  for (const extra of outs.slice(1)) extra.dispose(); // the tape keeps its own reference
  return outs[0] as tf.Tensor4D;
}

/**
 * The composed reference: attentionReference with the equivalent additive bias, then rows that
 * see no valid key set to zero (the fused kernel's convention; attentionReference alone gives
 * them a uniform average there). Runs on every backend; differentiable through plain tfjs ops.
 * causalAttention takes it whenever the fused kernels are off (tuning.fusedKernels), as parity() does.
 */
function attentionComposed(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, keyValid?: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, , Tq] = q.shape;
    const Tk = k.shape[2];
    if (!keyValid) return attentionReference(q, k, v, Tq === Tk ? causalBias(Tk) : rectCausalBias(Tq, Tk));
    const valid = tf.cast(keyValid, 'float32') as tf.Tensor2D;
    const y = attentionReference(q, k, v, paddedCausalBias(valid, Tq)); // (B, nh, Tq, hs)
    const seen = tf.slice(tf.cumsum(valid, 1), [0, Tk - Tq], [B, Tq]); // valid keys visible to each query
    return tf.mul(y, tf.cast(tf.greater(seen, 0), 'float32').reshape([B, 1, Tq, 1])) as tf.Tensor4D;
  });
}

/** (Tq, Tk) causal bias when the queries are the last Tq of Tk positions. */
function rectCausalBias(Tq: number, Tk: number): tf.Tensor2D {
  const data = new Float32Array(Tq * Tk);
  for (let i = 0; i < Tq; i++) for (let j = Tk - Tq + i + 1; j < Tk; j++) data[i * Tk + j] = MASKED;
  return tf.tensor2d(data, [Tq, Tk]);
}

// ---------------------------------------------------------------- gradient

export const fusedAttentionGradConfig: tf.GradConfig = {
  kernelName: FUSED_ATTENTION,
  saveAllInputs: true, // q, k, v [, keyValid]
  outputsToSave: [false, true], // the packed [O | lse]
  gradFunc: (dy, saved) => {
    const dO = (dy as tf.Tensor[])[0] as tf.Tensor4D;
    const [q, k, v] = saved as tf.Tensor4D[];
    const keyValid = saved.length === 5 ? (saved[3] as tf.Tensor2D) : undefined;
    const packed = saved[saved.length - 1];
    const [dq, dk, dv] = fusedAttentionBackward(q, k, v, keyValid, packed, dO);
    const grads: Record<string, () => tf.Tensor> = { 0: () => dq, 1: () => dk, 2: () => dv };
    if (keyValid) grads[3] = () => tf.zeros(keyValid.shape); // a mask: not differentiable
    return grads;
  },
};
