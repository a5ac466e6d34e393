import * as tf from '@tensorflow/tfjs';
import { onWebGPU } from '../shared/runProgram';
import { customOp } from '../shared/flatProgram';
import { tuning } from '../tuning';
import { GELU_C, geluGradKernel, matmulColSumKernel, matmulGeluGradKernel, matmulGeluKernel, matmulKernel } from './programs';

/**
 * Dense layers on barrier-free kernels (programs.ts), with their gradients as custom ops:
 *
 *   linear(x, w, b, act)   x (N, Cin), w (Cin, Cout), b (Cout) → act(x·w + b) (N, Cout), act ∈ {none, gelu}
 *     forward: one pass (with gelu: u and gelu(u) both written)
 *     backward: dU = dY ⊙ act'(u);  dX = dU·wᵀ (NT);  dW = xᵀ·dU (TN) and db = colsum(dU) in one pass
 *   mlp(x, w1, b1, w2, b2) gelu(x·w1 + b1)·w2 + b2, GPT-2's MLP: the two layers as one op, so GELU's
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

/** act(x·w + b): x (N, Cin), w (Cin, Cout), b (Cout). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation = 'none'): tf.Tensor2D {
  if (!fusedLinearActive()) return linearReference(x, w, b, act);
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
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, us] = saved;
        const du = act === 'gelu' ? geluGradKernel(dy, us) : dy;
        return [matmulKernel(du, ws, false, true), ...matmulColSumKernel(xs, du)];
      },
    };
  });
  return f(x, w, b) as tf.Tensor2D;
}

/** gelu(x·w1 + b1)·w2 + b2: x (N, C), w1 (C, H), b1 (H), w2 (H, C), b2 (C) → (N, C). */
export function mlp(x: tf.Tensor2D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): tf.Tensor2D {
  if (!fusedLinearActive()) return linearReference(linearReference(x, w1, b1, 'gelu'), w2, b2);
  const f = customOp((xi: tf.Tensor, w1i: tf.Tensor, b1i: tf.Tensor, w2i: tf.Tensor, b2i: tf.Tensor, save: tf.GradSaveFunc) => {
    const [u, h] = matmulGeluKernel(xi, w1i, b1i);
    save([xi, w1i, u, h, w2i]);
    return {
      value: matmulKernel(h, w2i, false, false, b2i),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, w1s, us, hs, w2s] = saved;
        const du = matmulGeluGradKernel(dy, w2s, us);
        const [dw2, db2] = matmulColSumKernel(hs, dy);
        return [matmulKernel(du, w1s, false, true), ...matmulColSumKernel(xs, du), dw2, db2];
      },
    };
  });
  return f(x, w1, b1, w2, b2) as tf.Tensor2D;
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
