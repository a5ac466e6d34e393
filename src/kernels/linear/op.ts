import * as tf from '@tensorflow/tfjs';
import { onWebGPU } from '../shared/runProgram';
import { customOp } from '../shared/flatProgram';
import { tuning } from '../tuning';
import { GELU_C, geluGradKernel, matmulColSumKernel, matmulGeluGradKernel, matmulGeluKernel, matmulKernel } from './programs';

/**
 * Dense layers on barrier-free kernels (programs.ts), with their gradients as custom ops:
 *
 *   linear(x, w, b, act, r)  x (N, Cin), w (Cin, Cout), b (Cout) → act(x·w + b) [+ r] (N, Cout), act ∈ {none, gelu}
 *     forward: one pass (with gelu: u and gelu(u) both written; a residual r added in the store)
 *     backward: dU = dY ⊙ act'(u);  dX = dU·wᵀ (NT);  dW = xᵀ·dU (TN) and db = colsum(dU) in one pass
 *   mlp(x, w1, b1, w2, b2, r)  gelu(x·w1 + b1)·w2 + b2 [+ r], GPT-2's MLP: the two layers as one op, so GELU's
 *     backward is the epilogue of the second layer's dX (dU = (dY·w2ᵀ) ⊙ gelu'(u)): 2 passes forward, 4 back
 *   matmulNT(h, w)         h (N, C), w (V, C) → h·wᵀ (N, V)  (the tied unembedding)
 *     backward: dH = dL·w (NN);  dW = dLᵀ·h (TN)
 *
 * On webgpu with tuning.fusedKernels these run the custom programs; elsewhere (or with fused
 * kernels off) the same math from plain tfjs ops (the reference the parity tests compare to).
 */

export type Activation = 'none' | 'gelu';

/** GPT-2's tanh approximation of GELU ("gelu_new"), from tfjs ops. */
function geluReference(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

function linearReference(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation = 'none'): tf.Tensor2D {
  return tf.tidy(() => {
    const u = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
    return (act === 'gelu' ? geluReference(u) : u) as tf.Tensor2D;
  });
}

/** Whether the fused dense kernels run right now. */
function fusedLinearActive(): boolean {
  return onWebGPU() && tuning.fusedKernels;
}

/** The gradient of a residual input: dy itself (a new tensor on its buffer, as tf.add's gradient gives). */
const passThrough = (dy: tf.Tensor) => tf.reshape(dy, dy.shape);

/**
 * act(x·w + b) [+ residual]: x (N, Cin), w (Cin, Cout), b (Cout), residual (N, Cout) added in the matmul's
 * store (act none only), as tf.add(residual, ·) would add it.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation = 'none', residual?: tf.Tensor2D): tf.Tensor2D {
  if (residual && act !== 'none') throw new Error('linear: a residual is added to act none only');
  if (!fusedLinearActive()) {
    const y = linearReference(x, w, b, act);
    return residual ? (tf.add(residual, y) as tf.Tensor2D) : y;
  }
  const backward = (xs: tf.Tensor, ws: tf.Tensor, du: tf.Tensor) => [matmulKernel(du, ws, false, true), ...matmulColSumKernel(xs, du)];
  if (residual) {
    const f = customOp((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, ri: tf.Tensor, save: tf.GradSaveFunc) => {
      save([xi, wi]);
      return {
        value: matmulKernel(xi, wi, false, false, bi, ri),
        gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [...backward(xs, ws, dy), passThrough(dy)],
      };
    });
    return f(x, w, b, residual) as tf.Tensor2D;
  }
  const f = customOp((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    let y: tf.Tensor;
    if (act === 'gelu') {
      const [u, h] = matmulGeluKernel(xi, wi, bi);
      save([xi, wi, u]);
      y = h;
    } else {
      y = matmulKernel(xi, wi, false, false, bi);
      save([xi, wi]);
    }
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xs, ws, us]: tf.Tensor[]) => backward(xs, ws, act === 'gelu' ? geluGradKernel(dy, us) : dy),
    };
  });
  return f(x, w, b) as tf.Tensor2D;
}

/** The fused MLP's forward and gradient, on inputs [x, w1, b1, w2, b2] and the residual r if any. */
function mlpFused(save: tf.GradSaveFunc, [x, w1, b1, w2, b2]: tf.Tensor[], r?: tf.Tensor) {
  const [u, h] = matmulGeluKernel(x, w1, b1);
  save([x, w1, u, h, w2]);
  return {
    value: matmulKernel(h, w2, false, false, b2, r),
    gradFunc: (dy: tf.Tensor, [xs, w1s, us, hs, w2s]: tf.Tensor[]) => {
      const du = matmulGeluGradKernel(dy, w2s, us);
      const [dw2, db2] = matmulColSumKernel(hs, dy);
      const grads = [matmulKernel(du, w1s, false, true), ...matmulColSumKernel(xs, du), dw2, db2];
      return r ? [...grads, passThrough(dy)] : grads;
    },
  };
}

const mlpOp = customOp((x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, save: tf.GradSaveFunc) =>
  mlpFused(save, [x, w1, b1, w2, b2]),
);
const mlpResidualOp = customOp((x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) =>
  mlpFused(save, [x, w1, b1, w2, b2], r),
);

/** gelu(x·w1 + b1)·w2 + b2 [+ residual]: x (N, C), w1 (C, H), b1 (H), w2 (H, C), b2 (C), residual (N, C) → (N, C). */
export function mlp(x: tf.Tensor2D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D, residual?: tf.Tensor2D): tf.Tensor2D {
  if (!fusedLinearActive()) {
    const y = linearReference(linearReference(x, w1, b1, 'gelu'), w2, b2);
    return residual ? (tf.add(residual, y) as tf.Tensor2D) : y;
  }
  return (residual ? mlpResidualOp(x, w1, b1, w2, b2, residual) : mlpOp(x, w1, b1, w2, b2)) as tf.Tensor2D;
}

/** h·wᵀ: h (N, C), w (V, C) → (N, V). */
export function matmulNT(h: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (!fusedLinearActive()) return tf.matMul(h, w, false, true);
  const f = customOp((hi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([hi, wi]);
    return {
      value: matmulKernel(hi, wi, false, true),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hs, ws] = saved;
        return [matmulKernel(dy, ws, false, false), matmulKernel(dy, hs, true, false)];
      },
    };
  });
  return f(h, w) as tf.Tensor2D;
}
