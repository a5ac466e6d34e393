import * as tf from '@tensorflow/tfjs';
import { customOp, i32, runFlat } from './flatProgram';
import { onWebGPU } from './runProgram';
import { tuning } from './tuning';

/**
 * Masked mean next-token cross-entropy: logits (N, V), targets (N) int32, mask (N) float →
 *   loss = Σ_r mask_r·(lse_r − logits[r, t_r]) / max(Σ mask, 1)
 * Fused path (webgpu), like the PPO-ptx loss: one thread per row, no barrier —
 *   rows    (N, 2) = [lse, mask·nll] per row (a plain online-softmax loop over V)
 *   reduce  (2) = [loss, 1/max(Σ mask, 1)]  (one thread: N is a few thousand at most)
 *   grad    d(logits)[r, j] = dy·mask_r/max(Σ mask, 1)·(softmax_j − [j = t_r]), one thread per element
 * Nothing of size (N, V) is written but d(logits).
 */
function crossEntropyReference(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.cast(tf.oneHot(targets as tf.Tensor1D, logits.shape[1]), 'float32');
    const picked = tf.sum(tf.mul(logp, onehot), -1); // (N)
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

function rowsKernel(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const [N, V] = logits.shape as [number, number];
  return runFlat({
    key: 'ce_rows',
    inputs: [logits, targets, mask],
    names: ['Logits', 'Targets', 'Mask'],
    threads: N,
    outputShape: [N, 2],
    uniforms: { decl: 'V : i32,', values: [i32(V)] },
    body: `let base = index * uniforms.V;
  var m = Logits[base];
  for (var j = 1; j < uniforms.V; j++) { m = max(m, Logits[base + j]); }
  var s = 0.0;
  for (var j = 0; j < uniforms.V; j++) { s += exp(Logits[base + j] - m); }
  let lse = m + log(s);
  let t = clamp(Targets[index], 0, uniforms.V - 1);
  let w = Mask[index];
  result[2 * index] = lse;
  result[2 * index + 1] = select(0.0, w * (lse - Logits[base + t]), w != 0.0);`,
  });
}

function reduceKernel(rows: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const N = mask.shape[0];
  return runFlat({
    key: 'ce_reduce',
    inputs: [rows, mask],
    names: ['Rows', 'Mask'],
    threads: 1,
    outputShape: [2],
    uniforms: { decl: 'N : i32,', values: [i32(N)] },
    body: `var s = 0.0;
  var n = 0.0;
  for (var r = 0; r < uniforms.N; r++) { s += Rows[2 * r + 1]; n += Mask[r]; }
  let inv = 1.0 / max(n, 1.0);
  result[0] = s * inv;
  result[1] = inv;`,
  });
}

function gradKernel(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor, rows: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const [N, V] = logits.shape as [number, number];
  return runFlat({
    key: 'ce_grad',
    inputs: [logits, targets, mask, rows, stats, dy],
    names: ['Logits', 'Targets', 'Mask', 'Rows', 'Stats', 'dY'],
    threads: N * V,
    outputShape: [N, V],
    uniforms: { decl: 'V : i32,', values: [i32(V)] },
    body: `let r = index / uniforms.V;
  let j = index - r * uniforms.V;
  let w = Mask[r] * Stats[1] * dY[0];
  let p = exp(Logits[index] - Rows[2 * r]);
  result[index] = select(0.0, w * (p - select(0.0, 1.0, j == clamp(Targets[r], 0, uniforms.V - 1))), w != 0.0);`,
  });
}

export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  if (!(onWebGPU() && tuning.fusedKernels)) return crossEntropyReference(logits, targets, mask);
  const t = targets.dtype === 'int32' ? targets : tf.cast(targets, 'int32');
  const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  const f = customOp((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const rows = rowsKernel(x, t, m);
    const stats = reduceKernel(rows, m);
    save([x, rows, stats, t, m]); // kept clones: t and m outlive the caller's tidy
    return {
      value: tf.reshape(tf.slice(stats, [0], [1]), []),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, rs, st, ts, ms] = saved;
        return gradKernel(xs, ts, ms, rs, st, dy);
      },
    };
  });
  const loss = f(logits) as tf.Scalar;
  if (t !== targets) t.dispose();
  if (m !== mask) m.dispose();
  return loss;
}
