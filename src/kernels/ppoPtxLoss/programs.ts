import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import fwdSource from '../../../shaders/ppoPtxLoss/fwd.wgsl?raw';
import reduceSource from '../../../shaders/ppoPtxLoss/reduce.wgsl?raw';
import bwdSource from '../../../shaders/ppoPtxLoss/bwd.wgsl?raw';
import { cpuAdapter, type Uniform } from '../shared/runProgram';
import { tuning, type PpoPtxLayouts, type RowLayout } from '../tuning';

/**
 * The webgpu side of the PPO-ptx loss (op.ts holds the op, its reference and its gradient): the
 * kernel `PpoPtxLoss` (forward and reduce passes) and the backward pass, each a program of the
 * tfjs header + a constants prelude + one .wgsl file.
 */

/** The kernel's name (tests count it in profiles). */
export const PPO_PTX_LOSS = 'PpoPtxLoss';

/** Values per row written by the forward pass (layout in fwd.wgsl). */
const ROW_WIDTH = 8;
/** Length of the reduce pass output: the six outputs, then 1/n and 1/np. */
const STATS_WIDTH = 8;

/**
 * Workgroup shapes (tuning.ppoPtxLayouts when set). GPU: one workgroup-reduction per row, 32..256
 * threads per row (about 8 columns each) and rows packed to workgroups of ≥ 64 threads. CPU adapters: one thread per row, 64 rows per
 * workgroup (the per-row reduction is then a plain loop, no barrier does work) — 10× faster on
 * SwiftShader than 64 threads per row (BENCHMARKS.md, "Why the kernels look the way they do").
 */
function layoutsFor(vocab: number): PpoPtxLayouts {
  if (tuning.ppoPtxLayouts) return tuning.ppoPtxLayouts;
  if (cpuAdapter()) return { fwd: { tpr: 1, rpw: 64 }, bwd: { tpr: 1, rpw: 64 }, reduce: 16 };
  let tpr = 32;
  while (tpr < 256 && tpr * 8 < vocab) tpr *= 2;
  const row = { tpr, rpw: Math.max(1, 64 / tpr) };
  return { fwd: row, bwd: row, reduce: 128 };
}

const flatLayout = (shape: number[]) => ({ x: shape.map((_, i) => i) });

function constants(layout: RowLayout, ptx?: boolean): string {
  const lines = [`const TPR : u32 = ${layout.tpr}u;`, `const RPW : u32 = ${layout.rpw}u;`, `const WG : u32 = ${layout.tpr * layout.rpw}u;`];
  if (ptx !== undefined) lines.push(`const PTX : bool = ${ptx};`);
  return lines.join('\n') + '\n';
}

/**
 * The two row passes, (…, V) logits swept one row per workgroup slice: what differs between them.
 * fwd (pass 1): (rows, V) logits → (rows, 8) per-row numbers; bwd (pass 3): d(logits) (…, V) for one
 * of the two row sets.
 */
const ROW_PASSES = {
  fwd: {
    variableNames: ['logits', 'targets', 'mask', 'oldLogp', 'advantages'],
    uniforms: 'rows : i32, vocab : i32, invTemp : f32, clipLow : f32, clipHigh : f32,',
    key: 'ppoPtxLossFwd',
    source: fwdSource,
  },
  bwd: {
    variableNames: ['logits', 'targets', 'rowStats', 'stats', 'dy'],
    uniforms: 'rows : i32, vocab : i32, invTemp : f32, ptxCoef : f32,',
    key: 'ppoPtxLossBwd',
    source: bwdSource,
  },
};

/** Pass 1 or 3: `layout.rpw` rows per workgroup, `layout.tpr` threads per row. */
class RowProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms: string;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  shaderKey: string;
  private readonly code: string;

  constructor(pass: keyof typeof ROW_PASSES, rows: number, outputShape: number[], ptx: boolean, layout: RowLayout) {
    const p = ROW_PASSES[pass];
    this.variableNames = p.variableNames;
    this.uniforms = p.uniforms;
    this.outputShape = outputShape;
    this.dispatchLayout = flatLayout(outputShape);
    this.dispatch = [Math.ceil(rows / layout.rpw), 1, 1];
    this.workgroupSize = [layout.tpr * layout.rpw, 1, 1];
    this.shaderKey = `${p.key}_${layout.tpr}_${layout.rpw}_${ptx}`;
    this.code = constants(layout, ptx) + p.source;
  }

  getUserCode(): string {
    return this.code;
  }
}

/** Pass 2: both (rows, 8) buffers → (8) stats. */
class ReduceProgram implements WebGPUProgram {
  variableNames = ['rl', 'ptx'];
  uniforms = 'nRl : i32, nPtx : i32, ptxCoef : f32,';
  outputShape = [STATS_WIDTH];
  dispatchLayout = flatLayout([STATS_WIDTH]);
  dispatch: [number, number, number] = [1, 1, 1];
  workgroupSize: [number, number, number];
  shaderKey: string;

  constructor(private readonly threads: number) {
    this.workgroupSize = [threads, 1, 1];
    this.shaderKey = `ppoPtxLossReduce_${threads}`;
  }

  getUserCode(): string {
    return constants({ tpr: this.threads, rpw: 1 }) + reduceSource;
  }
}

export type Attrs = { clip: number; ptxCoef: number; temperature: number };

const vocabOf = (t: tf.TensorInfo) => t.shape[t.shape.length - 1];
const rowsOf = (t: tf.TensorInfo) => t.shape.slice(0, -1).reduce((a, b) => a * b, 1);

/** The webgpu kernel: outputs [stats (8), rlRows (N, 8), ptxRows (Np, 8)]. */
function ppoPtxLossKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const backend = args.backend as WebGPUBackend;
  const { logits, actions, oldLogp, advantages, mask, ptxLogits, ptxTargets, ptxMask } = args.inputs as Record<string, tf.TensorInfo>;
  const { clip, ptxCoef, temperature } = args.attrs as unknown as Attrs;
  const rowPass = (x: tf.TensorInfo, targets: tf.TensorInfo, m: tf.TensorInfo, old: tf.TensorInfo, adv: tf.TensorInfo, ptx: boolean, invTemp: number) => {
    const rows = rowsOf(x);
    const V = vocabOf(x);
    const uniforms: Uniform[] = [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [V] },
      { type: 'float32', data: [invTemp] },
      { type: 'float32', data: [1 - clip] },
      { type: 'float32', data: [1 + clip] },
    ];
    return backend.runWebGPUProgram(new RowProgram('fwd', rows, [rows, ROW_WIDTH], ptx, layoutsFor(V).fwd), [x, targets, m, old, adv], 'float32', uniforms);
  };
  const rl = rowPass(logits, actions, mask, oldLogp, advantages, false, 1 / temperature);
  // ptx rows have no policy terms: the mask stands in for oldLogp/advantages (never read for them).
  const px = rowPass(ptxLogits, ptxTargets, ptxMask, ptxMask, ptxMask, true, 1);
  const stats = backend.runWebGPUProgram(new ReduceProgram(layoutsFor(vocabOf(logits)).reduce), [rl, px], 'float32', [
    { type: 'int32', data: [rowsOf(logits)] },
    { type: 'int32', data: [rowsOf(ptxLogits)] },
    { type: 'float32', data: [ptxCoef] },
  ]);
  return [stats, rl, px];
}

export function rowBackward(x: tf.Tensor, targets: tf.Tensor, rowStats: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor, ptx: boolean, attrs: Attrs): tf.Tensor {
  const backend = tf.backend() as WebGPUBackend;
  const V = vocabOf(x);
  const uniforms: Uniform[] = [
    { type: 'int32', data: [rowsOf(x)] },
    { type: 'int32', data: [V] },
    { type: 'float32', data: [ptx ? 1 : 1 / attrs.temperature] },
    { type: 'float32', data: [attrs.ptxCoef] },
  ];
  const program = new RowProgram('bwd', rowsOf(x), x.shape, ptx, layoutsFor(V).bwd);
  const info = backend.runWebGPUProgram(program, [x, targets, rowStats, stats, dy], 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}

export const ppoPtxLossConfig: tf.KernelConfig = {
  kernelName: PPO_PTX_LOSS,
  backendName: 'webgpu',
  kernelFunc: ppoPtxLossKernel as unknown as tf.KernelFunc,
};
