import * as tf from '@tensorflow/tfjs';

/** Additive mask value: finite (so fully masked rows give a uniform softmax, never NaN). */
export const MASKED = -1e9;

/**
 * Reference scaled dot-product attention from plain tfjs ops (runs on every backend).
 * q: (B, nh, Tq, hs)  k, v: (B, nh, Tk, hs)  bias: broadcastable to (B, nh, Tq, Tk), 0 or MASKED.
 * returns (B, nh, Tq, hs)
 */
export function attentionReference(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const scale = 1 / Math.sqrt(q.shape[3]);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), bias); // (B, nh, Tq, Tk)
    return tf.matMul(tf.softmax(scores), v) as tf.Tensor4D;
  });
}

/** Causal bias (T, T): 0 on and below the diagonal, MASKED above. */
export function causalBias(T: number): tf.Tensor2D {
  const data = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = MASKED;
  return tf.tensor2d(data, [T, T]);
}

/**
 * Bias for left-padded batches: causal AND key is not padding.
 * keyValid: (B, Tk) 1 for real tokens, 0 for pads. Returns (B, 1, Tq, Tk); the last Tq keys are the queries.
 */
export function paddedCausalBias(keyValid: tf.Tensor2D, Tq: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, Tk] = keyValid.shape;
    const past = Tk - Tq;
    const data = new Float32Array(Tq * Tk);
    for (let i = 0; i < Tq; i++) for (let j = past + i + 1; j < Tk; j++) data[i * Tk + j] = MASKED;
    const causal = tf.tensor2d(data, [Tq, Tk]);
    const pad = tf.mul(tf.sub(1, keyValid), MASKED).reshape([B, 1, 1, Tk]);
    return tf.add(causal, pad) as tf.Tensor4D;
  });
}
