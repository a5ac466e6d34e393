import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import {
  ppoPtxLoss,
  ppoPtxLossFused,
  ppoPtxLossReference,
  type PpoPtxLossInputs,
  type PpoPtxLossOptions,
  type PpoPtxLossOutputs,
} from '../../src/kernels/ppoPtxLoss/op';
import { PPO_PTX_LOSS } from '../../src/kernels/ppoPtxLoss/programs';
import { setTuning, tuning, type PpoPtxLayouts } from '../../src/kernels/tuning';
import { Rng } from '../../src/util/rng';
import { onBackend } from './helpers';
import { parity } from './parity';

beforeAll(async () => {
  await initBackend('webgpu');
});

/**
 * The automatic choice on this adapter (SwiftShader: 1 thread per row), the GPU choice
 * (workgroup reductions over 64 and 32 threads), and an odd one (row count not a multiple of
 * the rows per workgroup, threads with no column when V < threads).
 */
const LAYOUTS: [string, PpoPtxLayouts | null][] = [
  ['auto', null],
  ['gpu', { fwd: { tpr: 64, rpw: 1 }, bwd: { tpr: 32, rpw: 2 }, reduce: 128 }],
  ['odd', { fwd: { tpr: 4, rpw: 3 }, bwd: { tpr: 2, rpw: 5 }, reduce: 4 }],
];

const NAMES = ['loss', 'policyLoss', 'ptxLoss', 'clipfrac', 'approxKl', 'entropy'] as const;
/** Weights of the differentiated objective Σ w_k · out_k (clipfrac has no gradient). */
type Weights = Partial<Record<Exclude<(typeof NAMES)[number], 'clipfrac'>, number>>;
const LOSS_ONLY: Weights = { loss: 1 };
const MIXED: Weights = { loss: 1, policyLoss: 0.5, ptxLoss: -0.7, approxKl: 2, entropy: -0.3 };

interface Spec {
  B: number;
  T: number;
  V: number;
  Bp: number;
  Tp: number;
  opts: PpoPtxLossOptions;
  logitScale?: number;
  /** 'random': ~70% ones and row 0 fully masked (when B > 1); 'none': all masked out */
  mask?: 'random' | 'ones' | 'none';
}

/** Plain-JS inputs (float64 where it matters) so a float64 oracle can share them. */
interface Data {
  spec: Spec;
  logits: Float32Array;
  actions: Int32Array;
  oldLogp: Float32Array;
  advantages: Float32Array;
  mask: Float32Array;
  ptxLogits: Float32Array;
  ptxTargets: Int32Array;
  ptxMask: Float32Array;
}

function makeMask(rows: number, T: number, kind: Spec['mask'], rng: Rng): Float32Array {
  const m = new Float32Array(rows * T);
  for (let i = 0; i < m.length; i++) m[i] = kind === 'none' ? 0 : kind === 'ones' ? 1 : rng.chance(0.7) ? 1 : 0;
  if (kind === 'random' && rows > 1) m.fill(0, 0, T); // a fully masked sequence
  if (kind === 'random' && !m.includes(1)) m[m.length - 1] = 1;
  return m;
}

function makeData(spec: Spec, seed: number): Data {
  const rng = new Rng(seed);
  const { B, T, V, Bp, Tp } = spec;
  const scale = spec.logitScale ?? 2;
  const logits = Float32Array.from({ length: B * T * V }, () => scale * rng.normal());
  const actions = Int32Array.from({ length: B * T }, () => rng.int(V));
  // old log-probs near the current ones: ratios in e^±0.6, so both sides of the clip occur
  const logp = rowLogProbs(Float64Array.from(logits), actions, V, spec.opts.temperature).logp;
  const oldLogp = Float32Array.from(logp, (l) => l + rng.uniform(-0.6, 0.6));
  const advantages = Float32Array.from({ length: B * T }, () => rng.normal());
  const ptxLogits = Float32Array.from({ length: Bp * Tp * V }, () => scale * rng.normal());
  const ptxTargets = Int32Array.from({ length: Bp * Tp }, () => rng.int(V));
  const kind = spec.mask ?? 'random';
  return { spec, logits, actions, oldLogp, advantages, mask: makeMask(B, T, kind, rng), ptxLogits, ptxTargets, ptxMask: makeMask(Bp, Tp, kind, rng) };
}

function toTensors(d: Data): PpoPtxLossInputs {
  const { B, T, V, Bp, Tp } = d.spec;
  return {
    logits: tf.tensor3d(d.logits, [B, T, V]),
    actions: tf.tensor2d(d.actions, [B, T], 'int32'),
    oldLogp: tf.tensor2d(d.oldLogp, [B, T]),
    advantages: tf.tensor2d(d.advantages, [B, T]),
    mask: tf.tensor2d(d.mask, [B, T]),
    ptxLogits: tf.tensor3d(d.ptxLogits, [Bp, Tp, V]),
    ptxTargets: tf.tensor2d(d.ptxTargets, [Bp, Tp], 'int32'),
    ptxMask: tf.tensor2d(d.ptxMask, [Bp, Tp]),
  };
}

function objective(out: PpoPtxLossOutputs, w: Weights): tf.Scalar {
  let total: tf.Scalar | null = null;
  for (const [name, weight] of Object.entries(w)) {
    const term = tf.mul(out[name as keyof Weights], weight) as tf.Scalar;
    total = total ? (tf.add(total, term) as tf.Scalar) : term;
  }
  return total!;
}

type Impl = (inputs: PpoPtxLossInputs, opts: PpoPtxLossOptions) => PpoPtxLossOutputs;

/** Outputs and d(Σ w·out)/d(logits, ptxLogits), read back. */
async function evaluate(impl: Impl, d: Data, w: Weights) {
  const inputs = toTensors(d);
  const outputs = impl(inputs, d.spec.opts);
  const values = await Promise.all(NAMES.map(async (n) => (await outputs[n].data())[0]));
  const f = (logits: tf.Tensor, ptxLogits: tf.Tensor) => objective(impl({ ...inputs, logits, ptxLogits }, d.spec.opts), w);
  const [dLogits, dPtx] = tf.grads(f)([inputs.logits, inputs.ptxLogits]);
  const grads = { dLogits: await dLogits.data(), dPtx: await dPtx.data() };
  tf.dispose([...Object.values(inputs), ...Object.values(outputs), dLogits, dPtx]);
  return { values, ...grads };
}

// ---------------------------------------------------------------------------------------------
// float64 oracle (plain JS): the same formulas, independent of tfjs

function rowLogProbs(logits: Float64Array, tokens: Int32Array, V: number, temperature: number) {
  const rows = tokens.length;
  const logp = new Float64Array(rows);
  const entropy = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[r * V + j] / temperature);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[r * V + j] / temperature - max);
    const lse = max + Math.log(s);
    let h = 0;
    for (let j = 0; j < V; j++) {
      const lp = logits[r * V + j] / temperature - lse;
      h -= Math.exp(lp) * lp;
    }
    logp[r] = logits[r * V + tokens[r]] / temperature - lse;
    entropy[r] = h;
  }
  return { logp, entropy };
}

function oracle(d: Data, logits: Float64Array, ptxLogits: Float64Array): number[] {
  const { V, opts } = d.spec;
  const { logp, entropy } = rowLogProbs(logits, d.actions, V, opts.temperature);
  let n = 0,
    pol = 0,
    clipped = 0,
    kl = 0,
    ent = 0;
  for (let r = 0; r < logp.length; r++) {
    const m = d.mask[r];
    if (m === 0) continue;
    const logr = logp[r] - d.oldLogp[r];
    const ratio = Math.exp(logr);
    const pg1 = -d.advantages[r] * ratio;
    const pg2 = -d.advantages[r] * Math.min(Math.max(ratio, 1 - opts.clip), 1 + opts.clip);
    n += m;
    pol += m * Math.max(pg1, pg2);
    clipped += m * (pg2 > pg1 ? 1 : 0);
    kl += m * logr * logr;
    ent += m * entropy[r];
  }
  const ptx = rowLogProbs(ptxLogits, d.ptxTargets, V, 1).logp;
  let np = 0,
    nll = 0;
  for (let r = 0; r < ptx.length; r++) {
    np += d.ptxMask[r];
    nll -= d.ptxMask[r] * ptx[r];
  }
  n = Math.max(n, 1);
  np = Math.max(np, 1);
  const policyLoss = pol / n;
  const ptxLoss = nll / np;
  return [policyLoss + opts.ptxCoef * ptxLoss, policyLoss, ptxLoss, clipped / n, (0.5 * kl) / n, ent / n];
}

function weighted(values: number[], w: Weights): number {
  return Object.entries(w).reduce((s, [name, weight]) => s + weight * values[NAMES.indexOf(name as (typeof NAMES)[number])], 0);
}

/** Central differences of Σ w·out in float64 (step 1e-5). */
function finiteDifferences(d: Data, w: Weights) {
  const logits = Float64Array.from(d.logits);
  const ptxLogits = Float64Array.from(d.ptxLogits);
  const h = 1e-5;
  const diff = (x: Float64Array) =>
    Float64Array.from(x, (v, i) => {
      x[i] = v + h;
      const up = weighted(oracle(d, logits, ptxLogits), w);
      x[i] = v - h;
      const down = weighted(oracle(d, logits, ptxLogits), w);
      x[i] = v;
      return (up - down) / (2 * h);
    });
  return { dLogits: diff(logits), dPtx: diff(ptxLogits) };
}

// ---------------------------------------------------------------------------------------------

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

/** Values within 1e-4 (relative, absolute below 1); every number finite. */
function expectClose(actual: number[], expected: number[], tol: number, label: string) {
  for (let k = 0; k < expected.length; k++) {
    expect(Number.isFinite(actual[k]), `${label} ${NAMES[k]} finite`).toBe(true);
    expect(Math.abs(actual[k] - expected[k]) / Math.max(1, Math.abs(expected[k])), `${label} ${NAMES[k]}: ${actual[k]} vs ${expected[k]}`).toBeLessThan(tol);
  }
}

const fused: Impl = ppoPtxLossFused;
const reference: Impl = ppoPtxLossReference;
const base: PpoPtxLossOptions = { clip: 0.2, ptxCoef: 0.5, temperature: 1 };

const CASES: [string, Spec][] = [
  ['V = 100 (not a multiple of the workgroup), masked rows, temperature 0.7', { B: 3, T: 5, V: 100, Bp: 2, Tp: 7, opts: { ...base, temperature: 0.7 } }],
  ['batch 1, T = 1', { B: 1, T: 1, V: 100, Bp: 1, Tp: 1, opts: base, mask: 'ones' }],
  ['V = 37 < workgroup, temperature 1.3, ptxCoef 0', { B: 2, T: 3, V: 37, Bp: 3, Tp: 2, opts: { ...base, temperature: 1.3, ptxCoef: 0 } }],
  ['V = 300 > workgroup, large logits, clip 0.1', { B: 2, T: 4, V: 300, Bp: 1, Tp: 5, opts: { clip: 0.1, ptxCoef: 2, temperature: 1 }, logitScale: 12 }],
  ['all masked (no NaN)', { B: 2, T: 3, V: 100, Bp: 2, Tp: 3, opts: base, mask: 'none' }],
];

describe('fused PPO-ptx loss matches the composed reference on webgpu', () => {
  for (const [name, spec] of CASES) {
    test(name, async () => {
      const d = makeData(spec, spec.B * 100 + spec.V);
      const expected = oracle(d, Float64Array.from(d.logits), Float64Array.from(d.ptxLogits));
      for (const w of [LOSS_ONLY, MIXED]) {
        const r = await evaluate(reference, d, w);
        for (const [layoutName, layouts] of LAYOUTS) {
          setTuning({ ppoPtxLayouts: layouts });
          const f = await evaluate(fused, d, w);
          expectLayout(layoutName, f, r, expected, spec, w);
        }
      }
      if (spec.B * spec.T >= 12) expect(expected[3], 'some tokens are clipped').toBeGreaterThan(0);
    });
  }
});

test('parity(): the loss with the fused kernels on and off (the composed reference), value and gradients', async () => {
  const t = toTensors(makeData({ B: 2, T: 4, V: 50, Bp: 2, Tp: 3, opts: base }, 77));
  const lossOf = (l: tf.Tensor, p: tf.Tensor) => {
    const { loss, ...others } = ppoPtxLoss({ ...t, logits: l, ptxLogits: p }, base);
    tf.dispose(Object.values(others));
    return loss;
  };
  await parity(lossOf, [t.logits, t.ptxLogits]);
  tf.dispose(Object.values(t));
});

test('more rows than maxComputeWorkgroupsPerDimension (one row per workgroup: a 2-D dispatch)', async () => {
  const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxComputeWorkgroupsPerDimension;
  const spec: Spec = { B: 1, T: limit + 1000, V: 3, Bp: 1, Tp: 5, opts: base };
  const d = makeData(spec, 4);
  // the same math with 64 rows per workgroup (a 1-D dispatch, checked against the reference above)
  setTuning({ ppoPtxLayouts: { fwd: { tpr: 1, rpw: 64 }, bwd: { tpr: 1, rpw: 64 }, reduce: 16 } });
  const r = await evaluate(fused, d, LOSS_ONLY);
  setTuning({ ppoPtxLayouts: { fwd: { tpr: 1, rpw: 1 }, bwd: { tpr: 1, rpw: 1 }, reduce: 16 } });
  const f = await evaluate(fused, d, LOSS_ONLY);
  expectLayout('2-D dispatch', f, r, oracle(d, Float64Array.from(d.logits), Float64Array.from(d.ptxLogits)), spec, LOSS_ONLY);
  expect(maxRelDiff(f.dLogits, r.dLogits)).toBeLessThan(1e-6);
});

type Result = Awaited<ReturnType<typeof evaluate>>;

function expectLayout(layout: string, f: Result, r: Result, expected: number[], spec: Spec, w: Weights) {
  expectClose(f.values, r.values, 1e-4, `${layout}: fused vs reference`);
  expectClose(f.values, expected, 1e-4, `${layout}: fused vs float64`);
  expect(maxRelDiff(f.dLogits, r.dLogits), `${layout}: d logits`).toBeLessThan(1e-3);
  expect(maxRelDiff(f.dPtx, r.dPtx), `${layout}: d ptxLogits`).toBeLessThan(1e-3);
  for (const g of [...f.dLogits, ...f.dPtx]) if (!Number.isFinite(g)) throw new Error(`${layout}: non-finite gradient`);
  if (spec.mask === 'none') {
    expect(f.values).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Math.max(...Array.from(f.dLogits, Math.abs), ...Array.from(f.dPtx, Math.abs))).toBe(0);
  }
  if (spec.opts.ptxCoef === 0 && w === LOSS_ONLY) expect(Math.max(...Array.from(f.dPtx, Math.abs))).toBe(0);
}

describe('gradient against float64 central differences', () => {
  const spec: Spec = { B: 2, T: 3, V: 7, Bp: 2, Tp: 2, opts: { clip: 0.2, ptxCoef: 1.5, temperature: 0.8 } };
  const d = makeData(spec, 5);
  // central differences are only valid away from the clip's kinks
  const { logp } = rowLogProbs(Float64Array.from(d.logits), d.actions, spec.V, spec.opts.temperature);
  const distanceToKink = Math.min(
    ...Array.from(logp, (l, r) => {
      const ratio = Math.exp(l - d.oldLogp[r]);
      return Math.min(Math.abs(ratio - 0.8), Math.abs(ratio - 1.2));
    }),
  );

  for (const [label, w] of [
    ['loss', LOSS_ONLY],
    ['every differentiable output', MIXED],
  ] as const) {
    test(label, async () => {
      expect(distanceToKink).toBeGreaterThan(1e-3);
      const fd = finiteDifferences(d, w);
      const f = await evaluate(fused, d, w);
      expect(maxRelDiff(f.dLogits, fd.dLogits)).toBeLessThan(1e-4);
      expect(maxRelDiff(f.dPtx, fd.dPtx)).toBeLessThan(1e-4);
      const cpu = await onBackend('cpu', () => evaluate(reference, d, w));
      expect(maxRelDiff(cpu.dLogits, fd.dLogits)).toBeLessThan(1e-4);
      expect(maxRelDiff(cpu.dPtx, fd.dPtx)).toBeLessThan(1e-4);
      expect(Math.max(...Array.from(fd.dLogits, Math.abs))).toBeGreaterThan(1e-3); // not trivially 0
    });
  }
});

describe('ppoPtxLoss dispatch, memory and leaks', () => {
  const spec: Spec = { B: 2, T: 6, V: 100, Bp: 2, Tp: 6, opts: base };
  const d = makeData(spec, 9);

  test('webgpu + fused setting runs the PpoPtxLoss kernel; the setting off or cpu runs the reference', async () => {
    const inputs = toTensors(d);
    const kernels = async () => (await tf.profile(() => tf.dispose(Object.values(ppoPtxLoss(inputs, spec.opts))))).kernelNames;
    expect(tuning.fusedKernels).toBe(true);
    const on = await kernels();
    expect(on).toContain(PPO_PTX_LOSS);
    expect(on).not.toContain('LogSoftmax');
    setTuning({ fusedKernels: false });
    expect(await kernels()).not.toContain(PPO_PTX_LOSS);
    setTuning({ fusedKernels: true });
    tf.dispose(Object.values(inputs));
    const cpu = await onBackend('cpu', async () => {
      const t = toTensors(d);
      const out = ppoPtxLoss(t, spec.opts);
      const values = await Promise.all(NAMES.map(async (n) => (await out[n].data())[0]));
      tf.dispose([...Object.values(t), ...Object.values(out)]);
      return values;
    });
    expectClose(cpu, oracle(d, Float64Array.from(d.logits), Float64Array.from(d.ptxLogits)), 1e-4, 'cpu');
  });

  test('no (B, T, V) tensor besides d(logits): peak bytes of forward + backward', async () => {
    const inputs = toTensors(d);
    const start = tf.memory().numBytes;
    const prof = await tf.profile(() => {
      const [a, b] = tf.grads((l: tf.Tensor, p: tf.Tensor) => ppoPtxLossFused({ ...inputs, logits: l, ptxLogits: p }, spec.opts).loss)([
        inputs.logits,
        inputs.ptxLogits,
      ]);
      tf.dispose([a, b]);
    });
    const gradBytes = (inputs.logits.size + inputs.ptxLogits.size) * 4;
    const rows = spec.B * spec.T + spec.Bp * spec.Tp;
    // d(logits) + d(ptxLogits), plus the (rows, 8) buffers and a few scalars
    expect(prof.peakBytes - start).toBeLessThanOrEqual(gradBytes + 3 * rows * 8 * 4 + 4096);
    tf.dispose(Object.values(inputs));
  });

  test('no tensor leaks across calls (forward alone and forward + backward)', async () => {
    const inputs = toTensors(d);
    const run = () => {
      tf.dispose(Object.values(ppoPtxLoss(inputs, spec.opts)));
      const { value, grads } = tf.variableGrads(() => ppoPtxLoss({ ...inputs, logits: lv, ptxLogits: pv }, spec.opts).loss, [lv, pv]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    const lv = tf.variable(inputs.logits);
    const pv = tf.variable(inputs.ptxLogits);
    run();
    await tf.nextFrame();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([lv, pv, ...Object.values(inputs)]);
  });
});
