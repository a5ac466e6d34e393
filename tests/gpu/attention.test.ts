import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { causalAttention } from '../../src/kernels/attention/op';
import { FUSED_ATTENTION, attentionTiles } from '../../src/kernels/attention/programs';
import { setTuning, tuning } from '../../src/kernels/tuning';
import { attentionReference, paddedCausalBias } from '../../src/model/attention';
import { Rng } from '../../src/util/rng';
import { maxRelErr, onBackend } from './helpers';
import { parity } from './parity';

// Parity of the fused attention kernels (webgpu) with the composed reference built from tfjs ops.
// Forward within 1e-4, gradients within 1e-3, both relative to max(|reference|, 1).

beforeAll(async () => {
  await initBackend('webgpu');
});

/** The composed reference: the op with the fused kernels off (the path every other backend takes). */
const attentionComposed: typeof causalAttention = (q, k, v, keyValid) => {
  const fused = tuning.fusedKernels;
  setTuning({ fusedKernels: false });
  try {
    return causalAttention(q, k, v, keyValid);
  } finally {
    setTuning({ fusedKernels: fused });
  }
};

/** The names of the kernels f runs, and its result. */
async function kernelsOf(f: () => tf.Tensor4D): Promise<{ kernels: string[]; result: tf.Tensor4D }> {
  const p = await tf.profile(f);
  return { kernels: p.kernels.map((x) => x.name), result: p.result as tf.Tensor4D };
}

interface Case {
  B: number;
  nh: number;
  Tq: number;
  Tk: number;
  hs: number;
  /** (B, Tk) 1 real / 0 pad, row-major */
  mask?: number[];
}

function randn(shape: number[], seed: number, std = 1): tf.Tensor4D {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(
    Float32Array.from({ length: n }, () => std * rng.normal()),
    shape as [number, number, number, number],
  );
}

function inputs(c: Case, seed: number) {
  return {
    q: randn([c.B, c.nh, c.Tq, c.hs], seed, 1.5),
    k: randn([c.B, c.nh, c.Tk, c.hs], seed + 1, 1.5),
    v: randn([c.B, c.nh, c.Tk, c.hs], seed + 2),
    dO: randn([c.B, c.nh, c.Tq, c.hs], seed + 3),
    keyValid: c.mask ? tf.tensor2d(c.mask, [c.B, c.Tk]) : undefined,
  };
}

/** Left padding: row r has pads[r] pads then real tokens. */
function leftPadded(B: number, Tk: number, pads: number[]): number[] {
  return Array.from({ length: B * Tk }, (_, i) => (i % Tk < pads[Math.floor(i / Tk)] ? 0 : 1));
}

/** For each (b, query) whether the query sees at least one valid key. */
function rowsWithKeys(c: Case): boolean[] {
  const out: boolean[] = [];
  for (let b = 0; b < c.B; b++)
    for (let i = 0; i < c.Tq; i++) {
      let any = !c.mask;
      for (let j = 0; j <= c.Tk - c.Tq + i && !any; j++) any = c.mask![b * c.Tk + j] === 1;
      out.push(any);
    }
  return out;
}

async function checkForward(c: Case, seed: number) {
  const { q, k, v, dO, keyValid } = inputs(c, seed);
  const { kernels, result: fused } = await kernelsOf(() => causalAttention(q, k, v, keyValid));
  expect(kernels).toEqual([FUSED_ATTENTION]); // the fused kernel ran, in one dispatch (no gradient recorded)
  const composed = attentionComposed(q, k, v, keyValid);
  const got = await fused.data();
  expect(fused.shape).toEqual([c.B, c.nh, c.Tq, c.hs]);
  expect(got.every(Number.isFinite)).toBe(true);
  expect(maxRelErr(got, await composed.data())).toBeLessThan(1e-4);

  // the raw model reference (additive bias, no zeroing) agrees on every row that sees a key
  const allValid = tf.ones([c.B, c.Tk]) as tf.Tensor2D;
  const bias = paddedCausalBias(keyValid ?? allValid, c.Tq);
  const raw = await attentionReference(q, k, v, bias).data();
  const seen = rowsWithKeys(c);
  for (let b = 0; b < c.B; b++)
    for (let h = 0; h < c.nh; h++)
      for (let i = 0; i < c.Tq; i++) {
        const at = ((b * c.nh + h) * c.Tq + i) * c.hs;
        const row = got.slice(at, at + c.hs);
        if (seen[b * c.Tq + i]) expect(maxRelErr(row, raw.slice(at, at + c.hs))).toBeLessThan(1e-4);
        else expect(Array.from(row)).toEqual(new Array(c.hs).fill(0)); // a row with no key: zeros
      }
  tf.dispose([q, k, v, dO, keyValid, fused, composed, allValid, bias]);
}

async function checkGrads(c: Case, seed: number) {
  const { q, k, v, dO, keyValid } = inputs(c, seed);
  const run = (attn: typeof causalAttention) => {
    const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => tf.sum(tf.mul(attn(qq as tf.Tensor4D, kk as tf.Tensor4D, vv as tf.Tensor4D, keyValid), dO));
    return tf.valueAndGrads(f)([q, k, v]);
  };
  const fused = run(causalAttention);
  const ref = run(attentionComposed);
  expect(maxRelErr(await fused.value.data(), await ref.value.data())).toBeLessThan(1e-4);
  for (let i = 0; i < 3; i++) {
    const g = await fused.grads[i].data();
    expect(g.every(Number.isFinite)).toBe(true);
    expect(maxRelErr(g, await ref.grads[i].data()), ['dq', 'dk', 'dv'][i]).toBeLessThan(1e-3);
  }
  // not trivially zero (with a single key the output is v: dq = dk = 0)
  for (const i of c.Tk > 1 ? [0, 1, 2] : [2]) expect(Math.max(...Array.from(await fused.grads[i].data(), Math.abs))).toBeGreaterThan(1e-3);
  tf.dispose([q, k, v, dO, keyValid, fused.value, ...fused.grads, ref.value, ...ref.grads]);
}

const CASES: Record<string, Case> = {
  'T not a multiple of the tile, hs 16': { B: 2, nh: 2, Tq: 37, Tk: 37, hs: 16 },
  'batch 1, T = tile, hs 32': { B: 1, nh: 3, Tq: 16, Tk: 16, hs: 32 },
  'hs 64, T 21': { B: 2, nh: 1, Tq: 21, Tk: 21, hs: 64 },
  'T = 1': { B: 2, nh: 2, Tq: 1, Tk: 1, hs: 16 },
  'left-padded keys (a row with pad queries), hs 32': { B: 3, nh: 2, Tq: 19, Tk: 19, hs: 32, mask: leftPadded(3, 19, [0, 5, 17]) },
  'holes in the mask, hs 16': { B: 2, nh: 1, Tq: 20, Tk: 20, hs: 16, mask: Array.from({ length: 40 }, (_, i) => (i % 3 === 1 ? 0 : 1)) },
  'queries after cached keys (Tq < Tk), hs 32': { B: 2, nh: 2, Tq: 5, Tk: 22, hs: 32, mask: leftPadded(2, 22, [3, 0]) },
  'hs 8 (the test model)': { B: 2, nh: 4, Tq: 24, Tk: 24, hs: 8 },
};

describe('fused causal attention forward matches the reference', () => {
  let seed = 100;
  for (const [name, c] of Object.entries(CASES)) test(name, () => checkForward(c, seed++));

  test('hs 64 with the 16 KiB workgroup-memory floor (smaller tiles)', async () => {
    setTuning({ attentionStorageLimit: 16384 });
    expect(attentionTiles('fwd', 64)).toEqual({ br: 16, bc: 16 });
    expect(attentionTiles('dkdv', 64)).toEqual({ br: 16, bc: 16 });
    await checkForward({ B: 1, nh: 2, Tq: 35, Tk: 35, hs: 64, mask: leftPadded(1, 35, [4]) }, 7);
    await checkGrads({ B: 1, nh: 2, Tq: 35, Tk: 35, hs: 64, mask: leftPadded(1, 35, [4]) }, 8);
  });

  test('the saved logsumexp is log Σ exp(scores) per row', async () => {
    const c: Case = { B: 1, nh: 2, Tq: 18, Tk: 18, hs: 16, mask: leftPadded(1, 18, [2]) };
    const { q, k, v, dO, keyValid } = inputs(c, 3);
    // the kernel as it runs under a gradient tape: O, and the packed [O | lse] the backward reads
    const [o, packed] = tf.engine().runKernel(
      FUSED_ATTENTION,
      [q, k, v, keyValid!] as unknown as tf.NamedTensorMap,
      {
        withLse: true,
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    const all = await packed.data();
    const n = 2 * 18;
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / 4), paddedCausalBias(keyValid!, 18));
    const lse = await tf.logSumExp(scores, -1).data(); // (1, 2, 18)
    const seen = rowsWithKeys(c);
    for (let r = 0; r < n; r++) {
      if (seen[r % 18]) expect(Math.abs(all[n * 16 + r] - lse[r])).toBeLessThan(1e-4);
      else expect(all[n * 16 + r]).toBe(0);
    }
    expect(maxRelErr(all.slice(0, n * 16), await attentionComposed(q, k, v, keyValid).data())).toBeLessThan(1e-4);
    tf.dispose([q, k, v, dO, keyValid, o, packed, scores]);
  });
});

test('parity(): the op with the fused kernels on and off (the composed reference), value and gradients', async () => {
  const c: Case = { B: 2, nh: 2, Tq: 13, Tk: 13, hs: 16, mask: leftPadded(2, 13, [0, 4]) };
  const { q, k, v, dO, keyValid } = inputs(c, 500);
  await parity((a, b, d) => causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, keyValid), [q, k, v]);
  tf.dispose([q, k, v, dO, keyValid]);
});

describe('fused causal attention gradients match the reference', () => {
  let seed = 200;
  for (const [name, c] of Object.entries(CASES)) test(name, () => checkGrads(c, seed++));
});

describe('small tiles: many tile boundaries, diagonal and partial tiles', () => {
  const smallCases: Record<string, [number, Case]> = {
    'tile 8, left-padded, hs 16': [8, { B: 2, nh: 2, Tq: 29, Tk: 29, hs: 16, mask: leftPadded(2, 29, [11, 0]) }],
    'tile 4, Tq < Tk, hs 32': [4, { B: 1, nh: 2, Tq: 10, Tk: 23, hs: 32, mask: leftPadded(1, 23, [6]) }],
    'tile 4, hs 64': [4, { B: 1, nh: 1, Tq: 13, Tk: 13, hs: 64 }],
  };
  let seed = 400;
  for (const [name, [tile, c]] of Object.entries(smallCases))
    test(name, async () => {
      setTuning({ attentionMaxTile: tile });
      expect(attentionTiles('dkdv', c.hs)).toEqual({ br: tile, bc: tile });
      await checkForward(c, seed++);
      await checkGrads(c, seed++);
    });
});

describe('decode (one query against cached keys)', () => {
  const decodeCases: Record<string, Case> = {
    'hs 16, 23 keys, left-padded': { B: 3, nh: 2, Tq: 1, Tk: 23, hs: 16, mask: leftPadded(3, 23, [0, 7, 22]) },
    'hs 32, 70 keys (two chunks)': { B: 2, nh: 2, Tq: 1, Tk: 70, hs: 32 },
    'hs 64, 130 keys, left-padded': { B: 2, nh: 1, Tq: 1, Tk: 130, hs: 64, mask: leftPadded(2, 130, [66, 0]) },
    'a query with only pad keys gives zeros': { B: 2, nh: 1, Tq: 1, Tk: 9, hs: 16, mask: [...new Array(9).fill(0), ...new Array(9).fill(1)] },
  };
  let seed = 300;
  for (const [name, c] of Object.entries(decodeCases)) test(name, () => checkForward(c, seed++));

  test('runs the fused kernel in one dispatch (no tape) and matches the tape path', async () => {
    const c: Case = { B: 2, nh: 2, Tq: 1, Tk: 40, hs: 32, mask: leftPadded(2, 40, [5, 0]) };
    const { q, k, v, dO, keyValid } = inputs(c, 9);
    const profile = await tf.profile(() => causalAttention(q, k, v, keyValid));
    expect(profile.kernels.map((x) => x.name)).toEqual([FUSED_ATTENTION]);
    const decoded = causalAttention(q, k, v, keyValid);
    // under a tape Tq = 1 takes the tiled forward (it writes the lse)
    const { value } = tf.valueAndGrads((qq: tf.Tensor) => tf.sum(tf.mul(causalAttention(qq as tf.Tensor4D, k, v, keyValid), dO)))([q]);
    const direct = tf.sum(tf.mul(decoded, dO));
    expect(maxRelErr(await value.data(), await direct.data())).toBeLessThan(1e-5);
    tf.dispose([q, k, v, dO, keyValid, decoded, value, direct, profile.result as tf.Tensor]);
  });
});

describe('the setting and resources', () => {
  test('tuning.fusedKernels off runs the reference path', async () => {
    const c: Case = { B: 1, nh: 2, Tq: 12, Tk: 12, hs: 16, mask: leftPadded(1, 12, [3]) };
    const { q, k, v, dO, keyValid } = inputs(c, 11);
    const names = async () => {
      const p = await tf.profile(() => causalAttention(q, k, v, keyValid));
      const out = await (p.result as tf.Tensor).data();
      (p.result as tf.Tensor).dispose();
      return { kernels: p.kernels.map((x) => x.name), out };
    };
    const fused = await names();
    expect(fused.kernels).toEqual([FUSED_ATTENTION]);
    setTuning({ fusedKernels: false });
    const ref = await names();
    expect(ref.kernels).not.toContain(FUSED_ATTENTION);
    expect(ref.kernels).toContain('BatchMatMul');
    expect(maxRelErr(fused.out, ref.out)).toBeLessThan(1e-4);
    tf.dispose([q, k, v, dO, keyValid]);
  });

  test('on the cpu backend the op runs the composed reference and agrees with the fused kernel', async () => {
    const c: Case = { B: 2, nh: 2, Tq: 9, Tk: 9, hs: 16, mask: leftPadded(2, 9, [0, 3]) };
    const both = async () => {
      const { q, k, v, dO, keyValid } = inputs(c, 13);
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, v, keyValid), dO)),
      )([q, k]);
      const y = causalAttention(q, k, v, keyValid);
      const out = { y: await y.data(), value: await value.data(), dq: await grads[0].data(), dk: await grads[1].data() };
      tf.dispose([q, k, v, dO, keyValid, y, value, ...grads]);
      return out;
    };
    const gpu = await both();
    // the fused kernel exists only on webgpu: the op runs at all on cpu only on its composed path
    const cpu = await onBackend('cpu', both);
    expect(maxRelErr(gpu.y, cpu.y)).toBeLessThan(1e-4);
    expect(maxRelErr(gpu.value, cpu.value)).toBeLessThan(1e-4);
    expect(maxRelErr(gpu.dq, cpu.dq)).toBeLessThan(1e-3);
    expect(maxRelErr(gpu.dk, cpu.dk)).toBeLessThan(1e-3);
  });

  test('no tensors leak across forward, backward and decode calls', async () => {
    const c: Case = { B: 2, nh: 2, Tq: 17, Tk: 17, hs: 16, mask: leftPadded(2, 17, [0, 4]) };
    const { q, k, v, dO, keyValid } = inputs(c, 12);
    const step = async () => {
      const y = causalAttention(q, k, v, keyValid);
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
        tf.sum(tf.mul(causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, keyValid), dO)),
      )([q, k, v]);
      const qLast = tf.slice(q, [0, 0, 16, 0], [2, 2, 1, 16]) as tf.Tensor4D;
      const last = causalAttention(qLast, k, v, keyValid); // decode
      await Promise.all([y.data(), value.data(), last.data(), ...grads.map((g) => g.data())]);
      tf.dispose([y, value, qLast, last, ...grads]);
    };
    await step(); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, dO, keyValid]);
  });
});
