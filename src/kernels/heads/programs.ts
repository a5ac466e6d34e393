import * as tf from '@tensorflow/tfjs';
import toHeadsSource from '../../../shaders/heads/to_heads.wgsl?raw';
import fromHeadsSource from '../../../shaders/heads/from_heads.wgsl?raw';
import { i32, runFlat, runFlatInfo } from '../shared/flatProgram';
import { fill } from '../shared/wgsl';

/** The head copies (op.ts holds the ops, their reference and gradients) and the SplitHeadsQKV kernel. */

export const SPLIT_HEADS = 'SplitHeadsQKV';

/**
 * Rows (B·T, W) → heads (B, nh, T, hs) of part `part` (columns part·C .. part·C + C). vec4 units:
 * one thread per 4 floats of the output.
 */
export function toHeads(x: tf.TensorInfo, B: number, T: number, nh: number, hs: number, part: number): tf.TensorInfo {
  const W = x.shape[1];
  return runFlatInfo({
    key: 'heads_to',
    inputs: [x],
    names: ['X'],
    threads: (B * T * nh * hs) / 4,
    outputShape: [B, nh, T, hs],
    vec4: true,
    uniforms: { decl: 'T : i32, nh : i32, hs4 : i32, W4 : i32, off4 : i32,', values: [i32(T), i32(nh), i32(hs / 4), i32(W / 4), i32((part * nh * hs) / 4)] },
    body: toHeadsSource,
  });
}

/** Heads (B, nh, T, hs) × parts → rows (B·T, parts·C). */
export function fromHeads(parts: tf.Tensor[], B: number, T: number, nh: number, hs: number): tf.Tensor {
  const P = parts.length;
  const names = parts.map((_, i) => `H${i}`);
  let value = `H${P - 1}[src]`;
  for (let i = P - 2; i >= 0; i--) value = `select(${value}, H${i}[src], p == ${i})`;
  return runFlat({
    key: `heads_from_${P}`,
    inputs: parts,
    names,
    threads: (B * T * P * nh * hs) / 4,
    outputShape: [B * T, P * nh * hs],
    vec4: true,
    uniforms: { decl: 'T : i32, nh : i32, hs4 : i32, C4 : i32,', values: [i32(T), i32(nh), i32(hs / 4), i32((nh * hs) / 4)] },
    body: fill(fromHeadsSource, { P, VALUE: value }),
  });
}

/** The webgpu kernel: qkv (B·T, 3C) → q, k, v (B, nh, T, hs); attrs B, T, nh. */
function splitKernel(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { qkv } = args.inputs as { qkv: tf.TensorInfo };
  const { B, T, nh } = args.attrs as unknown as { B: number; T: number; nh: number };
  const hs = qkv.shape[1] / 3 / nh;
  return [0, 1, 2].map((part) => toHeads(qkv, B, T, nh, hs, part));
}

export const splitHeadsConfig: tf.KernelConfig = {
  kernelName: SPLIT_HEADS,
  backendName: 'webgpu',
  kernelFunc: splitKernel as unknown as tf.KernelFunc,
};
