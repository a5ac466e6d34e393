import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

/**
 * tfjs-wasm 4.22 multiplies matrices with XNNPACK (SIMD, on the thread pool) only when neither operand
 * is transposed and neither has a batch: every other BatchMatMul runs a naive single-threaded loop. A
 * training step's backward pass is all transposed products (dX = dY·Wᵀ, dW = Xᵀ·dY), as is the tied
 * unembedding (h·wteᵀ): measured at the tiny preset, 64% of a wasm LM step was that loop, and wasm
 * threads changed nothing. This wraps the wasm BatchMatMul kernel: an unbatched product with a transposed
 * operand transposes it first (a copy, ~1% of the product's work) and takes XNNPACK's path, and a
 * batched left operand times an unbatched right one becomes one tall product. Batched products of two
 * batched operands (attention) keep tfjs's loop. Same results up to float summation order.
 */
let wrapped = false;

const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/** Wraps tfjs-wasm's BatchMatMul kernel (once; before the wasm backend starts, so its setup runs). */
export function routeWasmMatMulsThroughXnnpack(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  const reshape = tf.getKernel('Reshape', 'wasm');
  if (wrapped || !original || !transpose || !reshape) return;
  wrapped = true;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const dispose = (t: TensorInfo) => (backend as { disposeData(id: DataId): void }).disposeData(t.dataId);
    const matmul = (x: TensorInfo, y: TensorInfo) =>
      original.kernelFunc({ inputs: { a: x, b: y }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    const swapLastTwo = (t: TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      return transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
    };
    if (batchOf(b) !== 1 || (batchOf(a) !== 1 && (transposeA || b.shape.length > a.shape.length))) return original.kernelFunc({ inputs, backend, attrs });
    if (batchOf(a) !== 1) {
      // (…, M, K) · (K, N) is one (…·M, K) · (K, N) product
      const [M, K] = a.shape.slice(-2);
      const flat = reshape.kernelFunc({ inputs: { x: a }, backend, attrs: { shape: [batchOf(a) * M, K] } }) as TensorInfo;
      const bt = transposeB ? swapLastTwo(b) : b;
      const out = matmul(flat, bt);
      const shaped = reshape.kernelFunc({ inputs: { x: out }, backend, attrs: { shape: [...a.shape.slice(0, -1), out.shape[out.shape.length - 1]] } });
      for (const t of [flat, out, ...(bt === b ? [] : [bt])]) dispose(t);
      return shaped;
    }
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
    const at = transposeA ? swapLastTwo(a) : a;
    const bt = transposeB ? swapLastTwo(b) : b;
    const out = matmul(at, bt);
    if (at !== a) dispose(at);
    if (bt !== b) dispose(bt);
    return out;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}
