import * as tf from '@tensorflow/tfjs';
import { fusedAttentionConfig } from './attention/programs';
import { fusedAttentionGradConfig } from './attention/op';
import { splitHeadsConfig } from './heads/programs';
import { splitHeadsGradConfig } from './heads/op';
import { ppoPtxLossConfig } from './ppoPtxLoss/programs';
import { ppoPtxLossGradConfig } from './ppoPtxLoss/op';

/**
 * Every tfjs kernel and gradient of ours, registered in one place (tfjs-backend-webgpu's
 * register_all_kernels.ts): the webgpu kernel of an op is in its programs.ts, its gradient in its
 * op.ts. The ops without a kernel name of their own (linear, layerNorm, crossEntropy, embedding,
 * mergeHeads, rowAttention) are tf.customGrad ops with the gradient beside them in op.ts; adamw and
 * decode have no gradient. engine/backend.ts's initBackend calls this before any backend starts
 * (it also reroutes tfjs-wasm's BatchMatMul: a fix of tfjs's own kernel, engine/wasmMatMul.ts).
 */
const KERNELS: tf.KernelConfig[] = [fusedAttentionConfig, splitHeadsConfig, ppoPtxLossConfig];
const GRADIENTS: tf.GradConfig[] = [fusedAttentionGradConfig, splitHeadsGradConfig, ppoPtxLossGradConfig];

/** Registers every kernel and gradient that is not registered yet (so a second call does nothing). */
export function registerKernels(): void {
  for (const k of KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  for (const g of GRADIENTS) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
}
