import * as tf from '@tensorflow/tfjs';
import toHeadsSource from '../../../shaders/heads/to_heads.wgsl?raw';
import fromHeadsSource from '../../../shaders/heads/from_heads.wgsl?raw';
import { i32, runFlat, runFlatInfo } from '../shared/flatProgram';
import { runMultiInfo } from '../shared/multiProgram';
import { fill } from '../shared/wgsl';

/**
 * The head copies (op.ts holds the ops, their reference and gradients) and the SplitHeadsQKV kernel (one
 * pass writing q, k and v: shared/multiProgram.ts).
 */

export const SPLIT_HEADS = 'SplitHeadsQKV';

const toHeadsPass = (x: tf.TensorInfo, B: number, T: number, nh: number, hs: number, off4: number, write: string) => ({
  inputs: [x],
  names: ['X'],
  threads: (B * T * nh * hs) / 4,
  vec4: true,
  uniforms: { decl: 'T : i32, nh : i32, hs4 : i32, W4 : i32, off4 : i32,', values: [i32(T), i32(nh), i32(hs / 4), i32(x.shape[1] / 4), i32(off4)] },
  body: fill(toHeadsSource, { WRITE: write }),
});

/**
 * Rows (B·T, W) → heads (B, nh, T, hs) of part `part` (columns part·C .. part·C + C). vec4 units:
 * one thread per 4 floats of the output.
 */
export function toHeads(x: tf.TensorInfo, B: number, T: number, nh: number, hs: number, part: number): tf.TensorInfo {
  const pass = toHeadsPass(x, B, T, nh, hs, (part * nh * hs) / 4, 'result[index] = X[src + uniforms.off4];');
  return runFlatInfo({ ...pass, key: 'heads_to', outputShape: [B, nh, T, hs] });
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

/** The webgpu kernel: qkv (B·T, 3C) → q, k, v (B, nh, T, hs), one pass writing the three; attrs B, T, nh. */
function splitKernel(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { qkv } = args.inputs as { qkv: tf.TensorInfo };
  const { B, T, nh } = args.attrs as unknown as { B: number; T: number; nh: number };
  const hs = qkv.shape[1] / 3 / nh;
  const write = 'Q[index] = X[src];\nK[index] = X[src + uniforms.off4];\nV[index] = X[src + 2 * uniforms.off4];'; // off4: C in vec4s
  const outputs = ['Q', 'K', 'V'].map((name) => ({ name, shape: [B, nh, T, hs] }));
  return runMultiInfo({ ...toHeadsPass(qkv, B, T, nh, hs, (nh * hs) / 4, write), key: 'heads_split', outputs });
}

export const splitHeadsConfig: tf.KernelConfig = {
  kernelName: SPLIT_HEADS,
  backendName: 'webgpu',
  kernelFunc: splitKernel as unknown as tf.KernelFunc,
};
