import * as tf from '@tensorflow/tfjs';
import { customOp } from '../shared/flatProgram';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { gatherKernel, scatterKernel } from './programs';

/**
 * Token + position embedding: tokens (B, T) int → (B·T, C) = wte[tokens] + wpe[positions],
 * positions (B, T) or, when absent, 0..T−1 in every row.
 * Reference: one-hot matmuls (the wasm backend has no gradient for gather).
 * Fused path (webgpu, programs.ts): a gather, one thread per output element; the backward is a scatter-add
 * without atomics: one thread per (row of the table, column) scans the B·T token ids and sums the
 * matching rows of dx (a compare per token; only matches load).
 */
/**
 * One-hot rows as float32. tf.oneHot's own dtype argument is not honoured by the wasm backend
 * (it writes int32 bits into a float32 tensor), so build int32 and cast.
 */
export function oneHotF(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), 'float32');
}

function embedReference(tokens: tf.Tensor2D, wte: tf.Tensor2D, wpe: tf.Tensor2D, positions?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = tokens.shape;
    const [V, C] = wte.shape;
    const tok = tf.matMul(oneHotF(tokens.reshape([B * T]), V), wte);
    const pos = positions ? tf.matMul(oneHotF(positions.reshape([B * T]), wpe.shape[0]), wpe) : tf.tile(tf.slice(wpe, [0, 0], [T, C]), [B, 1]);
    return tf.add(tok, pos) as tf.Tensor2D;
  });
}

export function embed(tokens: tf.Tensor2D, wte: tf.Tensor2D, wpe: tf.Tensor2D, positions?: tf.Tensor2D): tf.Tensor2D {
  if (!(onWebGPU() && tuning.fusedKernels)) return embedReference(tokens, wte, wpe, positions);
  const T = tokens.shape[1];
  const tok = tokens.dtype === 'int32' ? tokens : tf.cast(tokens, 'int32');
  const pos = positions ? (positions.dtype === 'int32' ? positions : tf.cast(positions, 'int32')) : null;
  const f = customOp((te: tf.Tensor, pe: tf.Tensor, save: tf.GradSaveFunc) => {
    save(pos ? [tok, pos] : [tok]); // kept clones: the ids outlive the caller's tidy
    return {
      value: gatherKernel(tok, pos, te, pe, T),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [scatterKernel(saved[0], dy, te.shape[0], T), scatterKernel(saved[1] ?? null, dy, pe.shape[0], T)],
    };
  });
  const out = f(wte, wpe) as tf.Tensor2D;
  if (tok !== tokens) tok.dispose();
  if (pos && pos !== positions) pos.dispose();
  return out;
}
