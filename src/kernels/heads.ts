import * as tf from '@tensorflow/tfjs';
import { customOp, i32, runFlat, runFlatInfo } from './flatProgram';
import { onWebGPU } from './runProgram';
import { tuning } from './tuning';

/**
 * Moving attention heads between the 2-D activation layout and the (B, nh, T, hs) layout of the
 * attention kernels, as plain vec4 copies (an order of magnitude cheaper than tfjs's 4-D
 * transpose + split/concat on SwiftShader):
 *   splitHeads(qkv (B·T, 3C)) → q, k, v (B, nh, T, hs)          backward: one copy back to (B·T, 3C)
 *   mergeHeads(y (B, nh, T, hs)) → (B·T, C)                       backward: the inverse copy
 * Reference (every backend): reshape/transpose/split, as gpt.ts always did.
 */
const SPLIT_HEADS = 'SplitHeadsQKV';

const fused = (hs: number) => onWebGPU() && tuning.fusedKernels && hs % 4 === 0;

function splitReference(qkv: tf.Tensor2D, B: number, T: number, nh: number): tf.Tensor4D[] {
  const hs = qkv.shape[1] / 3 / nh;
  const heads = (t: tf.Tensor) => t.reshape([B, T, nh, hs]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  return tf.split(qkv, 3, 1).map(heads);
}

/**
 * Rows (B·T, W) → heads (B, nh, T, hs) of part `part` (columns part·C .. part·C + C). vec4 units:
 * one thread per 4 floats of the output.
 */
function toHeads(x: tf.TensorInfo, B: number, T: number, nh: number, hs: number, part: number): tf.TensorInfo {
  const W = x.shape[1];
  return runFlatInfo({
    key: 'heads_to',
    inputs: [x],
    names: ['X'],
    threads: (B * T * nh * hs) / 4,
    outputShape: [B, nh, T, hs],
    vec4: true,
    uniforms: { decl: 'T : i32, nh : i32, hs4 : i32, W4 : i32, off4 : i32,', values: [i32(T), i32(nh), i32(hs / 4), i32(W / 4), i32((part * nh * hs) / 4)] },
    body: `let d = index % uniforms.hs4;
  let rest = index / uniforms.hs4;
  let t = rest % uniforms.T;
  let bh = rest / uniforms.T;
  let h = bh % uniforms.nh;
  let b = bh / uniforms.nh;
  result[index] = X[(b * uniforms.T + t) * uniforms.W4 + uniforms.off4 + h * uniforms.hs4 + d];`,
  });
}

/** Heads (B, nh, T, hs) × parts → rows (B·T, parts·C). */
function fromHeads(parts: tf.Tensor[], B: number, T: number, nh: number, hs: number): tf.Tensor {
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
    body: `let W4 = ${P} * uniforms.C4;
  let r = index / W4;
  let col = index - r * W4;
  let p = col / uniforms.C4;
  let c = col - p * uniforms.C4;
  let h = c / uniforms.hs4;
  let d = c - h * uniforms.hs4;
  let b = r / uniforms.T;
  let t = r - b * uniforms.T;
  let src = ((b * uniforms.nh + h) * uniforms.T + t) * uniforms.hs4 + d;
  result[index] = ${value};`,
  });
}

function splitKernel(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { qkv } = args.inputs as { qkv: tf.TensorInfo };
  const { B, T, nh } = args.attrs as unknown as { B: number; T: number; nh: number };
  const hs = qkv.shape[1] / 3 / nh;
  return [0, 1, 2].map((part) => toHeads(qkv, B, T, nh, hs, part));
}

function register(): void {
  if (tf.getKernel(SPLIT_HEADS, 'webgpu')) return;
  tf.registerKernel({ kernelName: SPLIT_HEADS, backendName: 'webgpu', kernelFunc: splitKernel as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: SPLIT_HEADS,
    gradFunc: (dys, _saved, attrs) => {
      const { B, T, nh } = attrs as unknown as { B: number; T: number; nh: number };
      const d = dys as tf.Tensor[];
      const hs = d[0].shape[3]!;
      return { qkv: () => fromHeads(d, B, T, nh, hs) };
    },
  });
}
register();

/** qkv (B·T, 3C) → [q, k, v], each (B, nh, T, hs). */
export function splitHeads(qkv: tf.Tensor2D, B: number, T: number, nh: number): tf.Tensor4D[] {
  const hs = qkv.shape[1] / 3 / nh;
  if (!fused(hs)) return splitReference(qkv, B, T, nh);
  return tf.engine().runKernel(SPLIT_HEADS, { qkv }, { B, T, nh } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor4D[];
}

/** y (B, nh, T, hs) → (B·T, nh·hs). */
export function mergeHeads(y: tf.Tensor4D): tf.Tensor2D {
  const [B, nh, T, hs] = y.shape;
  if (!fused(hs)) return y.transpose([0, 2, 1, 3]).reshape([B * T, nh * hs]) as tf.Tensor2D;
  const f = customOp((yi: tf.Tensor, _save: tf.GradSaveFunc) => {
    return {
      value: fromHeads([yi], B, T, nh, hs),
      gradFunc: (dy: tf.Tensor) => tf.engine().makeTensorFromTensorInfo(toHeads(dy, B, T, nh, hs, 0)),
    };
  });
  return f(y) as tf.Tensor2D;
}
