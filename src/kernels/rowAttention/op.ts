import * as tf from '@tensorflow/tfjs';
import { customOp } from '../shared/flatProgram';
import { cpuAdapter, onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { forward, gradients } from './programs';

/**
 * Causal self-attention for training (Tq = Tk = T) as barrier-free kernels: ONE
 * THREAD PER ROW, keys and values read straight from global memory (vec4), online softmax in
 * registers. For CPU implementations of WebGPU (SwiftShader), where the tiled flash kernels of
 * kernels/attention pay for every barrier with every thread of the workgroup; on GPUs those stay.
 *
 *   forward   per query row i of (b, h): O_i = Σ_{j ≤ i} softmax_j(q_i·k_j·s) v_j     → O (B, nh, T, hs)
 *   backward  rows    per query: lse_i (recomputed), D_i = dO_i·O_i              → (B·nh·T, 2)
 *             dQ      per query: dq_i = s Σ_j p_ij (dO_i·v_j − D_i) k_j
 *             dK, dV  per key (one pass, packed, then two vec4 copies):
 *                                dv_j = Σ_{i ≥ j} p_ij dO_i,  dk_j = s Σ_{i ≥ j} p_ij (dO_i·v_j − D_i) q_i
 * with s = 1/√hs and p_ij = exp(q_i·k_j·s − lse_i). Nothing of size T² is stored.
 *
 * Optional keyValid (B, T), 1 real / 0 pad, as causalAttention: pad keys are skipped, and a query
 * that sees no real key (a left pad) outputs zeros and passes no gradient. The SFT, reward-model
 * and PPO batches are left-padded, so they need it.
 */

/** Whether gpt.ts should use rowAttention for a training-shaped call with head size hs. */
export function rowAttentionActive(hs: number): boolean {
  if (!(onWebGPU() && tuning.fusedKernels && hs % 4 === 0)) return false;
  return tuning.rowAttention ?? cpuAdapter();
}

const unmasked = customOp((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
  const o = forward(qi, ki, vi);
  save([qi, ki, vi, o]);
  return { value: o, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradients(dy, saved) };
});

const masked = customOp((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, kvi: tf.Tensor, save: tf.GradSaveFunc) => {
  const o = forward(qi, ki, vi, kvi);
  save([qi, ki, vi, o, kvi]);
  return {
    value: o,
    // the mask is data: zero gradient
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [...gradients(dy, saved.slice(0, 4), saved[4]), tf.zerosLike(saved[4])],
  };
});

/**
 * q, k, v (B, nh, T, hs) → (B, nh, T, hs), causal, differentiable; keyValid (B, T) 1 real / 0 pad
 * masks keys (a query with no real key gives zeros).
 */
export function rowAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, keyValid?: tf.Tensor2D): tf.Tensor4D {
  if (!keyValid) return unmasked(q, k, v) as tf.Tensor4D;
  const [B, T] = [q.shape[0], q.shape[2]];
  if (keyValid.shape[0] !== B || keyValid.shape[1] !== T) throw new Error(`rowAttention: keyValid must be (${B}, ${T}); got ${keyValid.shape}`);
  return tf.tidy(() => masked(q, k, v, keyValid.dtype === 'float32' ? keyValid : tf.cast(keyValid, 'float32')) as tf.Tensor4D);
}
