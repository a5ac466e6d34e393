import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { linear, matmulNT } from '../../src/kernels/linear/op';
import { matmulKernel } from '../../src/kernels/linear/programs';
import { resetTuning, setTuning, tuning } from '../../src/kernels/tuning';
import { layerNorm } from '../../src/kernels/layerNorm/op';
import { crossEntropy } from '../../src/kernels/crossEntropy/op';
import { embed } from '../../src/kernels/embedding/op';
import { mergeHeads, splitHeads } from '../../src/kernels/heads/op';
import { rowAttention } from '../../src/kernels/rowAttention/op';
import { attentionComposed } from '../../src/kernels/attention/op';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { lmTrainStep } from '../../src/train/trainStep';
import { packCorpus, sampleWindows } from '../../src/train/batches';
import { Rng } from '../../src/util/rng';
import { TEST_CFG, scaledErr } from './helpers';

/**
 * Every barrier-free model kernel (src/kernels/{linear,layerNorm,crossEntropy,embedding,heads,adamw})
 * against its tfjs-op reference on webgpu (fusedKernels: false runs the reference): forward
 * within 1e-4 and gradients within 1e-3 (relative to max(1, |ref|)), on random inputs and odd shapes.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});
afterEach(() => resetTuning());

let seed = 1;
const rnd = (shape: number[], std = 1) => tf.randomNormal(shape, 0, std, 'float32', seed++);
const ints = (n: number, max: number, shape: number[]) => {
  const rng = new Rng(seed++);
  return tf.tensor(
    Int32Array.from({ length: n }, () => rng.int(max)),
    shape,
    'int32',
  );
};

/**
 * Value and gradients of sum(f(inputs) ∘ dy) for a fixed random dy, with the fused kernels on and
 * off; compares both.
 */
async function parity(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = { fwd: 1e-4, grad: 1e-3 }): Promise<void> {
  const run = async (fused: boolean) => {
    setTuning({ fusedKernels: fused });
    const y = f(...inputs);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 777);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs);
    const out = { y: (await y.data()) as Float32Array, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
    tf.dispose([y, dy, ...grads]);
    return out;
  };
  const fused = await run(true);
  const ref = await run(false);
  expect(scaledErr(fused.y, ref.y), 'forward').toBeLessThan(tol.fwd);
  fused.grads.forEach((g, i) => expect(scaledErr(g, ref.grads[i]), `gradient of input ${i}`).toBeLessThan(tol.grad));
  // not trivially zero
  expect(Math.max(...fused.grads.map((g) => Math.max(...Array.from(g, Math.abs))))).toBeGreaterThan(1e-6);
}

describe('barrier-free matmul', () => {
  const shapes = [
    [13, 7, 9], // nothing a multiple of 4: scalar path, clamped edges
    [1, 4, 4],
    [52, 32, 96], // vec4 path, partial row blocks
    [8, 12, 20],
    [130, 64, 36],
    [16, 300, 24], // long K
  ];
  for (const block of [null, { rm: 4, cv: 1 }, { rm: 8, cv: 2 }] as const)
    test(`NN, NT, TN equal tf.matMul (block ${block ? `${block.rm}x${4 * block.cv}` : 'auto'})`, async () => {
      setTuning({ matmulBlock: block });
      for (const [M, K, N] of shapes) {
        const a = rnd([M, K]);
        const b = rnd([K, N]);
        const bias = rnd([N]);
        const ref = await tf.matMul(a, b).data();
        const refBias = await tf.add(tf.matMul(a, b), bias).data();
        const at = a.transpose();
        const bt = b.transpose();
        const outs = [matmulKernel(a, b, false, false), matmulKernel(a, bt, false, true), matmulKernel(at, b, true, false), matmulKernel(at, bt, true, true)];
        for (const o of outs) {
          expect(o.shape).toEqual([M, N]);
          expect(scaledErr((await o.data()) as Float32Array, ref as Float32Array), `${M}x${K}x${N}`).toBeLessThan(1e-4);
        }
        const withBias = matmulKernel(a, b, false, false, bias);
        expect(scaledErr((await withBias.data()) as Float32Array, refBias as Float32Array)).toBeLessThan(1e-4);
        tf.dispose([a, b, bias, at, bt, withBias, ...outs]);
      }
    });
});

describe('dense layers', () => {
  for (const [N, Cin, Cout] of [
    [17, 13, 7],
    [51, 32, 96],
    [64, 20, 128],
  ])
    test(`linear (none, gelu) and matmulNT, ${N}×${Cin}→${Cout}`, async () => {
      const x = rnd([N, Cin]);
      const w = rnd([Cin, Cout], 0.3);
      const b = rnd([Cout], 0.3);
      await parity((xi, wi, bi) => linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), [x, w, b]);
      await parity((xi, wi, bi) => linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, 'gelu'), [x, w, b]);
      const wt = rnd([Cout, Cin], 0.3);
      await parity((xi, wi) => matmulNT(xi as tf.Tensor2D, wi as tf.Tensor2D), [x, wt]);
      tf.dispose([x, w, b, wt]);
    });
});

describe('LayerNorm', () => {
  for (const [N, C] of [
    [7, 13],
    [51, 32],
    [1, 64],
  ])
    test(`forward and gradients, ${N}×${C}`, async () => {
      const x = tf.add(rnd([N, C], 2), 0.5);
      const g = tf.add(rnd([C], 0.3), 1);
      const b = rnd([C], 0.3);
      await parity((xi, gi, bi) => layerNorm(xi as tf.Tensor2D, gi, bi), [x, g, b]);
      tf.dispose([x, g, b]);
    });
});

describe('cross-entropy', () => {
  for (const [N, V, masked] of [
    [23, 37, 'some'],
    [64, 100, 'none'],
    [5, 8, 'all'],
  ] as const)
    test(`masked mean NLL and d(logits), ${N}×${V}, ${masked} masked`, async () => {
      const logits = rnd([N, V], 3);
      const targets = ints(N, V, [N]) as tf.Tensor1D;
      const mask = tf.tensor1d(Float32Array.from({ length: N }, (_, i) => (masked === 'all' ? 0 : masked === 'some' && i % 3 === 0 ? 0 : 1)));
      if (masked === 'all') {
        // all masked: loss 0 and gradient 0 on both paths
        setTuning({ fusedKernels: true });
        const { value, grads } = tf.valueAndGrads((l: tf.Tensor) => crossEntropy(l as tf.Tensor2D, targets, mask))([logits]);
        expect((await value.data())[0]).toBe(0);
        expect(Math.max(...Array.from(await grads[0].data(), Math.abs))).toBe(0);
        tf.dispose([value, ...grads]);
      } else {
        await parity((l) => crossEntropy(l as tf.Tensor2D, targets, mask), [logits]);
      }
      tf.dispose([logits, targets, mask]);
    });
});

describe('embedding', () => {
  test('gather forward and scatter-add gradients, default positions and explicit positions', async () => {
    const [B, T, V, P, C] = [3, 5, 11, 8, 6];
    const tokens = ints(B * T, 4, [B, T]) as tf.Tensor2D; // few distinct ids: many repeats
    const positions = ints(B * T, P, [B, T]) as tf.Tensor2D;
    const wte = rnd([V, C]);
    const wpe = rnd([P, C]);
    await parity((te, pe) => embed(tokens, te as tf.Tensor2D, pe as tf.Tensor2D), [wte, wpe]);
    await parity((te, pe) => embed(tokens, te as tf.Tensor2D, pe as tf.Tensor2D, positions), [wte, wpe]);
    tf.dispose([tokens, positions, wte, wpe]);
  });
});

describe('attention heads layout', () => {
  test('splitHeads and mergeHeads (forward and gradients)', async () => {
    const [B, T, nh, hs] = [2, 5, 3, 4];
    const qkv = rnd([B * T, 3 * nh * hs]);
    for (const part of [0, 1, 2]) await parity((x) => splitHeads(x as tf.Tensor2D, B, T, nh)[part], [qkv]);
    await parity(
      (x) => {
        const [q, k, v] = splitHeads(x as tf.Tensor2D, B, T, nh);
        return tf.add(tf.mul(q, 2), tf.sub(k, tf.mul(v, 3)));
      },
      [qkv],
    );
    const y = rnd([B, nh, T, hs]);
    await parity((x) => mergeHeads(x as tf.Tensor4D), [y]);
    tf.dispose([qkv, y]);
  });
});

describe('row attention (one thread per row)', () => {
  for (const [B, nh, T, hs] of [
    [2, 3, 17, 8],
    [1, 2, 1, 4],
    [2, 2, 33, 32],
    [1, 1, 5, 64],
  ])
    test(`forward and gradients equal the composed reference, B ${B} nh ${nh} T ${T} hs ${hs}`, async () => {
      const q = rnd([B, nh, T, hs]);
      const k = rnd([B, nh, T, hs]);
      const v = rnd([B, nh, T, hs]);
      // fused = rowAttention, reference = attentionComposed (plain tfjs ops)
      await parity(
        (a, b, c) =>
          tuning.fusedKernels
            ? rowAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D)
            : attentionComposed(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D),
        [q, k, v],
      );
      tf.dispose([q, k, v]);
    });

  // keyValid (B, T): left padding (row 1 has 6 pad queries that see no key: zeros, no gradient)
  // and holes; the reference is attentionComposed with the same mask.
  for (const [name, B, nh, T, hs, mask] of [
    ['left padding', 2, 2, 13, 8, (b: number, t: number) => (t < [0, 6][b] ? 0 : 1)],
    ['holes', 2, 1, 11, 16, (b: number, t: number) => ((t + b) % 3 === 1 ? 0 : 1)],
    ['all padded but the last key', 1, 2, 7, 4, (_b: number, t: number) => (t === 6 ? 1 : 0)],
  ] as const)
    test(`with a key mask (${name}): forward and gradients equal the composed reference`, async () => {
      const q = rnd([B, nh, T, hs]);
      const k = rnd([B, nh, T, hs]);
      const v = rnd([B, nh, T, hs]);
      const keyValid = tf.tensor2d(
        Float32Array.from({ length: B * T }, (_, i) => mask(Math.floor(i / T), i % T)),
        [B, T],
      );
      const attn = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tuning.fusedKernels
          ? rowAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, keyValid)
          : attentionComposed(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, keyValid);
      await parity(attn, [q, k, v]);
      setTuning({ fusedKernels: true });
      const y = await rowAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, keyValid).data();
      expect(y.every(Number.isFinite)).toBe(true);
      tf.dispose([q, k, v, keyValid]);
    });

  test('a left-padded batch (SFT, RM, PPO) through the model: row kernels match the reference, gradients too', async () => {
    setTuning({ rowAttention: true });
    const [B, T, pads] = [2, 9, [0, 4]];
    const x = tf.tensor2d(
      Int32Array.from({ length: B * T }, (_, i) => (i * 7) % TEST_CFG.vocabSize),
      [B, T],
      'int32',
    );
    const positions = tf.tensor2d(
      Int32Array.from({ length: B * T }, (_, i) => Math.max(0, (i % T) - pads[Math.floor(i / T)])),
      [B, T],
      'int32',
    );
    const keyValid = tf.tensor2d(
      Float32Array.from({ length: B * T }, (_, i) => (i % T < pads[Math.floor(i / T)] ? 0 : 1)),
      [B, T],
    );
    const model = GPT.create(TEST_CFG, 6);
    const vars = [...model.params.values()];
    const run = async () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.hidden(x, { positions, keyValid }))), vars);
      const out = { y: (await value.data())[0], g: (await grads[vars[0].name].data()) as Float32Array };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const a = await run();
    setTuning({ fusedKernels: false });
    const b = await run();
    expect(Math.abs(a.y - b.y) / Math.abs(b.y)).toBeLessThan(1e-4);
    expect(scaledErr(a.g, b.g)).toBeLessThan(1e-3);
    model.dispose();
    tf.dispose([x, positions, keyValid]);
  });

  test('the model uses it when forced and still matches the reference model', async () => {
    setTuning({ rowAttention: true });
    const x = tf.tensor2d(
      Int32Array.from({ length: 2 * 9 }, (_, i) => (i * 5) % TEST_CFG.vocabSize),
      [2, 9],
      'int32',
    );
    const model = GPT.create(TEST_CFG, 5);
    const a = await model.logits(x).data();
    setTuning({ fusedKernels: false });
    const b = await model.logits(x).data();
    expect(scaledErr(a as Float32Array, b as Float32Array)).toBeLessThan(1e-4);
    model.dispose();
    x.dispose();
  });
});

describe('AdamW', () => {
  test('the fused update equals the reference over 3 steps (params, moments, norm, counters)', async () => {
    const run = async (fused: boolean) => {
      setTuning({ fusedKernels: fused });
      const model = GPT.create(TEST_CFG, 4);
      const opt = new AdamW(model.params);
      const norms: number[] = [];
      for (let s = 0; s < 3; s++) {
        const grads: Record<string, tf.Tensor> = {};
        let i = 0;
        for (const v of model.params.values()) grads[v.name] = tf.randomNormal(v.shape, 0, 0.5, 'float32', 1 + 100 * s + i++); // seed 0 would mean unseeded;
        const n = opt.apply(grads, 1e-2);
        norms.push((await n.data())[0]);
        tf.dispose([n, ...Object.values(grads)]);
      }
      const out = {
        norms,
        params: await Promise.all([...model.params.values()].map((v) => v.data())),
        m: await Promise.all([...opt.state().m.values()].map((v) => v.data())),
        v: await Promise.all([...opt.state().v.values()].map((v) => v.data())),
        steps: (await opt.steps.data())[0],
      };
      opt.dispose();
      model.dispose();
      return out;
    };
    const fused = await run(true);
    const ref = await run(false);
    fused.norms.forEach((n, i) => expect(Math.abs(n - ref.norms[i]) / ref.norms[i]).toBeLessThan(1e-5));
    for (const key of ['params', 'm', 'v'] as const)
      fused[key].forEach((x, i) => expect(scaledErr(x as Float32Array, ref[key][i] as Float32Array), key).toBeLessThan(1e-4));
    expect(fused.steps).toBe(3);
  });
});

describe('training with fused kernels', () => {
  test('20 steps from the same seed end with the same losses as the plain tfjs-op step (within 1e-3)', async () => {
    const corpus = Array.from({ length: 200 }, (_, i) => `count ${i % 10} ${(i % 10) + 1} ${(i % 10) + 2}`);
    const stream = packCorpus(corpus);
    const run = async (fused: boolean) => {
      setTuning({ fusedKernels: fused });
      const model = GPT.create(TEST_CFG, 11);
      const opt = new AdamW(model.params);
      const rng = new Rng(12);
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const { loss, gradNorm } = lmTrainStep(model, opt, sampleWindows(stream, 4, 16, rng), 3e-3, step);
        losses.push((await loss.data())[0]);
        tf.dispose([loss, gradNorm]);
      }
      opt.dispose();
      model.dispose();
      return losses;
    };
    const fused = await run(true);
    const ref = await run(false);
    expect(fused[19]).toBeLessThan(fused[0] - 0.5); // it learns
    fused.forEach((l, i) => expect(Math.abs(l - ref[i]), `step ${i}`).toBeLessThan(1e-3));
  });
});
