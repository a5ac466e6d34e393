import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { getMainHeaderString } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import { ColSumProgram, MatmulProgram } from './matmulPrograms';
import type { MatmulBlock } from './tuning';
import { onWebGPU, runProgram } from './runProgram';
import { customOp } from './flatProgram';
import { tuning } from './tuning';

/**
 * Dense layers on barrier-free kernels (matmulPrograms.ts), with their gradients as custom ops:
 *
 *   linear(x, w, b, act)   x (N, Cin), w (Cin, Cout), b (Cout) → act(x·w + b) (N, Cout), act ∈ {none, gelu}
 *     backward: dU = dY ⊙ act'(u);  dX = dU·wᵀ (NT);  dW = xᵀ·dU (TN);  db = colsum(dU)
 *   matmulNT(h, w)         h (N, C), w (V, C) → h·wᵀ (N, V)  (the tied unembedding)
 *     backward: dH = dL·w (NN);  dW = dLᵀ·h (TN)
 *
 * On webgpu with tuning.fusedKernels these run the custom programs; elsewhere (or with fused
 * kernels off) the same math from plain tfjs ops (the reference the parity tests compare to).
 */

export type Activation = 'none' | 'gelu';

const GELU_C = Math.sqrt(2 / Math.PI);

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

/**
 * Register block per invocation: 8 × 8 wins on SwiftShader everywhere but on tiny outputs, where it
 * leaves too few invocations (BENCHMARKS.md, "Measurements behind the kernels' choices").
 */
function chooseBlock(M: number, N: number): MatmulBlock {
  return (M * N) / 64 >= 256 ? { rm: 8, cv: 2 } : { rm: 4, cv: 1 };
}

// No split-K: the 8 × 8 blocks already give enough invocations for dW = Xᵀ·dY (BENCHMARKS.md).

/** Raw kernel: op(a)·op(b) [+ bias]. No gradient (the ops below register theirs). */
export function matmulKernel(a: tf.Tensor, b: tf.Tensor, transA: boolean, transB: boolean, bias?: tf.Tensor): tf.Tensor2D {
  const [M, K] = transA ? [a.shape[1]!, a.shape[0]] : [a.shape[0], a.shape[1]!];
  const [Kb, N] = transB ? [b.shape[1]!, b.shape[0]] : [b.shape[0], b.shape[1]!];
  if (a.rank !== 2 || b.rank !== 2 || K !== Kb) throw new Error(`matmulKernel: shapes ${a.shape} ${b.shape} (transA ${transA}, transB ${transB})`);
  const block = tuning.matmulBlock ?? chooseBlock(M, N);
  const program = new MatmulProgram({ M, N, K, transA, transB, bias: !!bias, block });
  return runProgram(program, bias ? [a, b, bias] : [a, b], 'float32', program.uniformData()) as tf.Tensor2D;
}

export function colSumKernel(x: tf.Tensor): tf.Tensor1D {
  const [rows, cols] = x.shape as [number, number];
  return runProgram(new ColSumProgram(rows, cols), [x], 'float32', [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [cols] },
  ]) as tf.Tensor1D;
}

/** Flat elementwise program, one thread per element. */
class ElementwiseProgram implements WebGPUProgram {
  outputShape: number[];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(
    readonly variableNames: string[],
    readonly shaderKey: string,
    private readonly body: string,
    n: number,
  ) {
    this.outputShape = [n];
    this.dispatch = [Math.ceil(n / 64), 1, 1];
  }

  getUserCode(): string {
    return `${getMainHeaderString('index')} {
  if (index >= uniforms.size) { return; }
  ${this.body}
}`;
  }
}

const GELU_FWD = `let x = U[index];
  let t = tanh(${GELU_C} * (x + 0.044715 * x * x * x));
  result[index] = 0.5 * x * (1.0 + t);`;
// d/dx 0.5x(1+tanh(c(x+ax³))) = 0.5(1+t) + 0.5x(1-t²)·c(1+3ax²)
const GELU_BWD = `let x = U[index];
  let t = tanh(${GELU_C} * (x + 0.044715 * x * x * x));
  let d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * ${GELU_C} * (1.0 + 0.134145 * x * x);
  result[index] = dY[index] * d;`;

function geluKernel(u: tf.Tensor): tf.Tensor {
  return runProgram(new ElementwiseProgram(['U'], 'gelu_fwd', GELU_FWD, u.size), [u]).reshape(u.shape);
}

function geluGradKernel(dy: tf.Tensor, u: tf.Tensor): tf.Tensor {
  return runProgram(new ElementwiseProgram(['dY', 'U'], 'gelu_bwd', GELU_BWD, u.size), [dy, u]).reshape(u.shape);
}

/** act(x·w + b): x (N, Cin), w (Cin, Cout), b (Cout). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation = 'none'): tf.Tensor2D {
  if (!fusedLinearActive()) return linearReference(x, w, b, act);
  const f = customOp((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const u = matmulKernel(xi, wi, false, false, bi);
    let y: tf.Tensor = u;
    if (act === 'gelu') {
      y = geluKernel(u);
      save([xi, wi, u]);
    } else save([xi, wi]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, us] = saved;
        const du = act === 'gelu' ? geluGradKernel(dy, us) : dy;
        return [matmulKernel(du, ws, false, true), matmulKernel(xs, du, true, false), colSumKernel(du)];
      },
    };
  });
  return f(x, w, b) as tf.Tensor2D;
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
