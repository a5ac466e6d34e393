import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { getMainHeaderString } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import geluSource from '../../../shaders/linear/gelu.wgsl?raw';
import geluBwdSource from '../../../shaders/linear/gelu_bwd.wgsl?raw';
import { runFlat } from '../shared/flatProgram';
import { runProgram } from '../shared/runProgram';
import { runMulti } from '../shared/multiProgram';
import { fill, withoutHeader } from '../shared/wgsl';
import { tuning, type MatmulBlock } from '../tuning';

/**
 * Barrier-free WGSL programs for the model's dense layers, shaped for CPU implementations of
 * WebGPU (SwiftShader runs a workgroup's invocations as coroutines: time ≈ threads × barriers,
 * so tfjs's tiled matmul and tree reductions crawl there). Every invocation owns a small output
 * block held in registers and loops over K reading global memory directly: no workgroup memory,
 * no barrier. The same code is fine on GPUs for the small widths this app trains.
 *
 *   matmul   C (M, N) = op(A) · op(B) [+ bias (N)]   op = identity or transpose (TA, TB), so
 *            dX = dY·Wᵀ and dW = Xᵀ·dY never materialise a transpose. Epilogues and extra outputs
 *            (several outputs run on shared/multiProgram.ts):
 *              gelu      U = A·B + bias and H = gelu(U), both written (the MLP's first layer)
 *              geluGrad  dU = (dY·Wᵀ) ⊙ gelu'(U)  (the MLP's backward through its second layer and GELU)
 *              residual  R + A·B + bias (a block's residual connection)
 *              colSum    db = Σ_rows dY beside dW = Xᵀ·dY (TN): the first row block sums the rows it loads
 *   geluGrad dU = dY ⊙ gelu'(U), elementwise (gelu_bwd.wgsl): linear(…, 'gelu')'s backward
 * GELU and its derivative are the functions of gelu.wgsl in every one of them.
 *
 * The matmul's WGSL is generated here (not in a .wgsl file) because the register block is unrolled
 * per shape class. Every compile-time constant is part of shaderKey.
 */

/** √(2/π), the constant of GPT-2's tanh GELU (here, in the reference and in decode's matmul). */
export const GELU_C = Math.sqrt(2 / Math.PI);

const DEFAULT_BLOCK: MatmulBlock = { rm: 4, cv: 1 };
const WG = 64;

interface MatmulSpec {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  /** also Σ over K of B's rows (TN only: db = colsum(dY) beside dW = Xᵀ·dY), written to DB by the first row block */
  colSum?: boolean;
  /** gelu: H = gelu(result) written too; geluGrad: result ⊙ gelu'(U); residual: R + result (U, R (M, N) extra inputs) */
  epilogue?: 'gelu' | 'geluGrad' | 'residual';
  block?: MatmulBlock;
}

/**
 * A (M, K) or, with transA, (K, M); B (K, N) or, with transB, (N, K); Bias (N).
 * Rows/columns past the edge are clamped on load (valid addresses, no branch in the K loop)
 * and skipped on store.
 */
class MatmulProgram implements WebGPUProgram {
  variableNames: string[];
  variableComponents?: number[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'M : i32, N : i32, K : i32, colBlocks : i32, blocks : i32,';
  private readonly block: MatmulBlock;

  constructor(private readonly spec: MatmulSpec) {
    const block = spec.block ?? DEFAULT_BLOCK;
    this.block = block;
    const input = spec.epilogue === 'geluGrad' ? ['U'] : spec.epilogue === 'residual' ? ['R'] : [];
    const extra = [...(spec.bias ? ['Bias'] : []), ...input];
    this.variableNames = ['A', 'B', ...extra];
    this.outputShape = [spec.M, spec.N];
    const blocks = this.blockCounts();
    this.dispatch = [Math.ceil((blocks.rows * blocks.cols) / WG), 1, 1];
    const variant = `${spec.colSum ? '_db' : ''}${spec.epilogue ? `_${spec.epilogue}` : ''}`;
    this.shaderKey = `mm_${spec.transA ? 'T' : 'N'}${spec.transB ? 'T' : 'N'}_b${spec.bias}${variant}_${block.rm}x${block.cv}_v${this.vec4}`;
    this.variableComponents = this.vec4 ? [4, 4, ...extra.map(() => 1)] : undefined;
  }

  /** The components of every input binding (A and B vec4 on the vec4 path; Bias and U scalar). */
  get components(): number[] {
    return this.variableComponents ?? this.variableNames.map(() => 1);
  }

  /** What comes before main: gelu.wgsl's functions for the epilogues. */
  prelude(): string {
    return this.spec.epilogue === 'gelu' || this.spec.epilogue === 'geluGrad' ? fill(withoutHeader(geluSource), { GELU_C }) : '';
  }

  blockCounts(): { rows: number; cols: number } {
    return { rows: Math.ceil(this.spec.M / this.block.rm), cols: Math.ceil(this.spec.N / (4 * this.block.cv)) };
  }

  uniformData(): { type: 'int32'; data: number[] }[] {
    const { rows, cols } = this.blockCounts();
    return [this.spec.M, this.spec.N, this.spec.K, cols, rows * cols].map((v) => ({ type: 'int32' as const, data: [v] }));
  }

  /** vec4 loads along K (K % 4 = 0) and along the contiguous dimension of each operand. */
  get vec4(): boolean {
    const { M, N, K, transA, transB } = this.spec;
    return K % 4 === 0 && (transB || N % 4 === 0) && (!transA || (M % 4 === 0 && this.block.rm % 4 === 0));
  }

  getUserCode(): string {
    return `${this.prelude()}\n${getMainHeaderString('index')} {\n${this.body()}\n}`;
  }

  /** The statements of one invocation (block `index`), writing `result` (and H with gelu, DB with colSum). */
  body(): string {
    return this.vec4 ? this.vec4Code() : this.scalarCode();
  }

  private header(lines: string[]): void {
    const { rm, cv } = this.block;
    lines.push('  if (index >= uniforms.blocks) { return; }');
    lines.push('  let row0 = (index / uniforms.colBlocks) * ' + rm + ';');
    lines.push('  let col0 = (index % uniforms.colBlocks) * ' + 4 * cv + ';');
    for (let i = 0; i < rm; i++) lines.push(`  let r${i} = min(row0 + ${i}, uniforms.M - 1);`);
    for (let j = 0; j < cv; j++) for (let q = 0; q < 4; q++) lines.push(`  let c${j}${q} = min(col0 + ${4 * j + q}, uniforms.N - 1);`);
    for (let i = 0; i < rm; i++) for (let j = 0; j < cv; j++) lines.push(`  var acc${i}_${j} = vec4<f32>(0.0);`);
    if (this.spec.colSum) for (let j = 0; j < cv; j++) lines.push(`  var db${j} = vec4<f32>(0.0);`);
  }

  /** db += B's row k + kk, in the order of k (a plain column sum's order); only the first row block stores it. */
  private colSumStep(lines: string[], row: (kk: number, j: number) => string, steps: number): void {
    if (!this.spec.colSum) return;
    lines.push('    if (row0 == 0) {');
    for (let kk = 0; kk < steps; kk++) for (let j = 0; j < this.block.cv; j++) lines.push(`      db${j} += ${row(kk, j)};`);
    lines.push('    }');
  }

  /** The store of one element `value` at `at`, through the epilogue. */
  private write(at: string, value: string): string {
    if (this.spec.epilogue === 'gelu') return `result[${at}] = ${value}; H[${at}] = gelu(${value});`;
    if (this.spec.epilogue === 'geluGrad') return `result[${at}] = ${value} * geluGrad(U[${at}]);`;
    if (this.spec.epilogue === 'residual') return `result[${at}] = R[${at}] + ${value};`;
    return `result[${at}] = ${value};`;
  }

  private store(lines: string[]): void {
    const { rm, cv } = this.block;
    const { bias } = this.spec;
    for (let j = 0; j < cv; j++) {
      if (bias) lines.push(`  let bias${j} = vec4<f32>(Bias[c${j}0], Bias[c${j}1], Bias[c${j}2], Bias[c${j}3]);`);
    }
    for (let i = 0; i < rm; i++) {
      lines.push(`  if (row0 + ${i} < uniforms.M) {`);
      lines.push(`    let o = (row0 + ${i}) * uniforms.N + col0;`);
      for (let j = 0; j < cv; j++) {
        const v = bias ? `acc${i}_${j} + bias${j}` : `acc${i}_${j}`;
        lines.push(`    { let v = ${v};`);
        for (let q = 0; q < 4; q++) lines.push(`      if (col0 + ${4 * j + q} < uniforms.N) { ${this.write(`o + ${4 * j + q}`, `v[${q}]`)} }`);
        lines.push('    }');
      }
      lines.push('  }');
    }
    if (this.spec.colSum)
      for (let j = 0; j < cv; j++) {
        lines.push(`  if (row0 == 0) { let v = db${j};`);
        for (let q = 0; q < 4; q++) lines.push(`    if (col0 + ${4 * j + q} < uniforms.N) { DB[col0 + ${4 * j + q}] = v[${q}]; }`);
        lines.push('  }');
      }
  }

  private scalarCode(): string {
    const { rm, cv } = this.block;
    const { transA, transB } = this.spec;
    const lines: string[] = [];
    // A element (row r, k): index.
    const aIdx = (r: string) => (transA ? `k * uniforms.M + ${r}` : `${r} * uniforms.K + k`);
    // B elements (k, columns c..c+3) as a vec4.
    const bVec = (c: string) =>
      transB
        ? `vec4<f32>(B[${c}0 * uniforms.K + k], B[${c}1 * uniforms.K + k], B[${c}2 * uniforms.K + k], B[${c}3 * uniforms.K + k])`
        : `vec4<f32>(B[k * uniforms.N + ${c}0], B[k * uniforms.N + ${c}1], B[k * uniforms.N + ${c}2], B[k * uniforms.N + ${c}3])`;
    this.header(lines);
    lines.push('  for (var k = 0; k < uniforms.K; k++) {');
    for (let j = 0; j < cv; j++) lines.push(`    let b${j} = ${bVec(`c${j}`)};`);
    this.colSumStep(lines, (_, j) => `b${j}`, 1);
    for (let i = 0; i < rm; i++) {
      lines.push(`    let a${i} = A[${aIdx(`r${i}`)}];`);
      for (let j = 0; j < cv; j++) lines.push(`    acc${i}_${j} = fma(vec4<f32>(a${i}), b${j}, acc${i}_${j});`);
    }
    lines.push('  }');
    this.store(lines);
    return lines.join('\n');
  }

  /** K in steps of 4; A and B bound as array<vec4<f32>>. */
  private vec4Code(): string {
    const { rm, cv } = this.block;
    const { transA, transB } = this.spec;
    const lines: string[] = [];
    this.header(lines);
    lines.push('  for (var k = 0; k < uniforms.K; k += 4) {');
    // a(i, kk): scalars named a{i}[kk] (vec4 over k) or, transposed, ag{g}_{kk}[i%4] (vec4 over rows).
    const a = (i: number, kk: number) => (transA ? `ag${Math.floor(i / 4)}_${kk}[${i % 4}]` : `a${i}[${kk}]`);
    if (transA) {
      for (let g = 0; g < rm / 4; g++)
        for (let kk = 0; kk < 4; kk++) lines.push(`    let ag${g}_${kk} = A[((k + ${kk}) * uniforms.M + min(row0 + ${4 * g}, uniforms.M - 4)) / 4];`);
    } else {
      for (let i = 0; i < rm; i++) lines.push(`    let a${i} = A[(r${i} * uniforms.K + k) / 4];`);
    }
    // b(kk, j): vec4 over the 4 columns of group j at k + kk.
    const b = (kk: number, j: number) => `b${kk}_${j}`;
    if (transB) {
      for (let j = 0; j < cv; j++) for (let q = 0; q < 4; q++) lines.push(`    let bc${j}${q} = B[(c${j}${q} * uniforms.K + k) / 4];`);
      for (let kk = 0; kk < 4; kk++)
        for (let j = 0; j < cv; j++) lines.push(`    let ${b(kk, j)} = vec4<f32>(bc${j}0[${kk}], bc${j}1[${kk}], bc${j}2[${kk}], bc${j}3[${kk}]);`);
    } else {
      for (let kk = 0; kk < 4; kk++) for (let j = 0; j < cv; j++) lines.push(`    let ${b(kk, j)} = B[((k + ${kk}) * uniforms.N + c${j}0) / 4];`);
    }
    this.colSumStep(lines, b, 4);
    for (let i = 0; i < rm; i++)
      for (let j = 0; j < cv; j++) for (let kk = 0; kk < 4; kk++) lines.push(`    acc${i}_${j} = fma(vec4<f32>(${a(i, kk)}), ${b(kk, j)}, acc${i}_${j});`);
    lines.push('  }');
    this.store(lines);
    return lines.join('\n');
  }
}

/**
 * Register block per invocation: 8 × 8 wins on SwiftShader everywhere but on tiny outputs, where it
 * leaves too few invocations (BENCHMARKS.md, "Measurements behind the kernels' choices").
 */
function chooseBlock(M: number, N: number): MatmulBlock {
  return (M * N) / 64 >= 256 ? { rm: 8, cv: 2 } : { rm: 4, cv: 1 };
}

// No split-K: the 8 × 8 blocks already give enough invocations for dW = Xᵀ·dY (BENCHMARKS.md).

/** The block for an output of M × N: tuning.matmulBlock, or chooseBlock's. */
const blockFor = (M: number, N: number): MatmulBlock => tuning.matmulBlock ?? chooseBlock(M, N);

/**
 * Raw kernel: [residual +] op(a)·op(b) [+ bias], with tuning.matmulBlock or the block for its size (residual: (M, N),
 * added in the store as tf.add(residual, ·) adds). No gradient (op.ts's ops register theirs).
 */
export function matmulKernel(a: tf.Tensor, b: tf.Tensor, transA: boolean, transB: boolean, bias?: tf.Tensor, residual?: tf.Tensor): tf.Tensor2D {
  const [M, K] = transA ? [a.shape[1]!, a.shape[0]] : [a.shape[0], a.shape[1]!];
  const [Kb, N] = transB ? [b.shape[1]!, b.shape[0]] : [b.shape[0], b.shape[1]!];
  if (a.rank !== 2 || b.rank !== 2 || K !== Kb) throw new Error(`matmulKernel: shapes ${a.shape} ${b.shape} (transA ${transA}, transB ${transB})`);
  const program = new MatmulProgram({ M, N, K, transA, transB, bias: !!bias, epilogue: residual ? 'residual' : undefined, block: blockFor(M, N) });
  const inputs = [a, b, ...(bias ? [bias] : []), ...(residual ? [residual] : [])];
  return runProgram(program, inputs, 'float32', program.uniformData()) as tf.Tensor2D;
}

/** A matmul with more than one output, on shared/multiProgram.ts: `result` (M, N) and `extra`. */
function runWithOutputs(program: MatmulProgram, inputs: tf.Tensor[], M: number, N: number, extra: { name: string; shape: number[] }): tf.Tensor[] {
  const { rows, cols } = program.blockCounts();
  return runMulti({
    key: program.shaderKey,
    inputs,
    names: program.variableNames,
    outputs: [{ name: 'result', shape: [M, N] }, extra],
    components: { inputs: program.components, written: 1 },
    threads: rows * cols,
    uniforms: { decl: program.uniforms, values: program.uniformData() },
    prelude: program.prelude(),
    body: program.body(),
  });
}

/** x (N, Cin), w (Cin, Cout), b (Cout) → [u = x·w + b, gelu(u)], one pass. */
export function matmulGeluKernel(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor[] {
  const [M, K] = x.shape as [number, number];
  const N = w.shape[1]!;
  if (x.rank !== 2 || w.rank !== 2 || w.shape[0] !== K) throw new Error(`matmulGeluKernel: shapes ${x.shape} ${w.shape}`);
  const program = new MatmulProgram({ M, N, K, transA: false, transB: false, bias: true, epilogue: 'gelu', block: blockFor(M, N) });
  return runWithOutputs(program, [x, w, b], M, N, { name: 'H', shape: [M, N] });
}

/** dy (N, Cout), w (Cin, Cout), u (N, Cin) → (dy·wᵀ) ⊙ gelu'(u) (N, Cin): the gradient through a layer and the GELU before it. */
export function matmulGeluGradKernel(dy: tf.Tensor, w: tf.Tensor, u: tf.Tensor): tf.Tensor2D {
  const [M, K] = dy.shape as [number, number];
  const N = w.shape[0];
  if (dy.rank !== 2 || w.rank !== 2 || w.shape[1] !== K || u.shape[0] !== M || u.shape[1] !== N)
    throw new Error(`matmulGeluGradKernel: shapes ${dy.shape} ${w.shape} ${u.shape}`);
  const program = new MatmulProgram({ M, N, K, transA: false, transB: true, bias: false, epilogue: 'geluGrad', block: blockFor(M, N) });
  return runProgram(program, [dy, w, u], 'float32', program.uniformData()) as tf.Tensor2D;
}

/**
 * dW = xᵀ·dy (TN) and db = Σ over the rows of dy, in one pass: the invocations of the first row block of
 * dW also sum the rows of dy they load, in row order. x (rows, Cin), dy (rows, Cout) → [dW (Cin, Cout), db (Cout)].
 */
export function matmulColSumKernel(x: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  const [K, M] = x.shape as [number, number];
  const N = dy.shape[1]!;
  if (x.rank !== 2 || dy.rank !== 2 || dy.shape[0] !== K) throw new Error(`matmulColSumKernel: shapes ${x.shape} ${dy.shape}`);
  const program = new MatmulProgram({ M, N, K, transA: true, transB: false, bias: false, colSum: true, block: blockFor(M, N) });
  return runWithOutputs(program, [x, dy], M, N, { name: 'DB', shape: [N] });
}

/** dU = dy ⊙ gelu'(u), elementwise. */
export function geluGradKernel(dy: tf.Tensor, u: tf.Tensor): tf.Tensor {
  const prelude = fill(withoutHeader(geluSource), { GELU_C });
  return runFlat({ key: 'gelu_bwd', inputs: [dy, u], names: ['dY', 'U'], threads: u.size, outputShape: u.shape, prelude, body: geluBwdSource });
}
