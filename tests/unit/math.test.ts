import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adaptiveKl,
  entropyFromLogits,
  gae,
  maskedMean,
  pairwiseAccuracy,
  pairwiseAccuracyPerSet,
  ppoPolicyLoss,
  rankingLoss,
  sequenceLogProbs,
  tokenRewards,
  valueLoss,
  whiten,
} from '../../src/rlhf/math';
import { Rng } from '../../src/util/rng';

const TOL = 1e-5;

type Nested = number | Nested[];

function flat(x: Nested): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x];
}

/** Elementwise |a - b| <= tol, shapes (after flattening) equal. */
function expectClose(actual: Nested, expected: Nested, tol = TOL): void {
  const a = flat(actual);
  const e = flat(expected);
  expect(a.length).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= tol)) {
      throw new Error(`index ${i}: got ${a[i]}, expected ${e[i]} (tol ${tol})\nactual   ${JSON.stringify(actual)}\nexpected ${JSON.stringify(expected)}`);
    }
  }
}

function expectAllFinite(x: Nested): void {
  for (const v of flat(x)) expect(Number.isFinite(v)).toBe(true);
}

async function val(t: tf.Tensor): Promise<Nested> {
  return (await t.array()) as Nested;
}

async function num(t: tf.Tensor): Promise<number> {
  return (await t.array()) as number;
}

const logSigmoidJs = (x: number): number => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));

/** Plain-JS GAE reference with the same masking semantics, for one row. */
function gaeJs(r: number[], v: number[], m: number[], gamma: number, lambda: number): { a: number[]; ret: number[] } {
  const T = r.length;
  const a = new Array<number>(T).fill(0);
  let nextV = 0;
  let nextA = 0;
  for (let t = T - 1; t >= 0; t--) {
    const delta = r[t] + gamma * nextV - v[t];
    a[t] = m[t] ? delta + gamma * lambda * nextA : 0;
    nextA = a[t];
    nextV = m[t] ? v[t] : 0;
  }
  return { a, ret: a.map((x, t) => (m[t] ? x + v[t] : 0)) };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

// Each test runs in its own engine scope so intermediate tensors made by the test itself are
// freed; leaks inside math.ts are checked explicitly in the 'memory' test below.
beforeEach(() => tf.engine().startScope());
afterEach(() => tf.engine().endScope());

/** The per-token KL estimate alone: tokenRewards' `kl` with every token counted. */
const klOf = (logp: tf.Tensor, ref: tf.Tensor, estimator: 'k1' | 'k3') =>
  tf.tidy(() => tokenRewards(tf.zeros([logp.shape[0]]), logp, ref, tf.onesLike(logp), 0, estimator).kl);

describe('the KL penalty (tokenRewards kl)', () => {
  it('matches the public k1/k3 vectors', async () => {
    const logp = tf.tensor2d([[-1, -2, -0.5]]);
    const ref = tf.tensor2d([[-1.2, -1.5, -0.5]]);
    const k1 = klOf(logp, ref, 'k1');
    const k3 = klOf(logp, ref, 'k3');
    expect(k1.shape).toEqual([1, 3]);
    expectClose(await val(k1), [[0.2, -0.5, 0]]);
    expectClose(await val(k3), [[0.0187308, 0.1487213, 0]]);
    tf.dispose([logp, ref, k1, k3]);
  });

  it('k3 is >= 0 everywhere and zero iff logp = ref; k1 can be negative', async () => {
    const r = new Rng(1);
    const a = Array.from({ length: 64 }, () => -5 * r.next());
    const b = Array.from({ length: 64 }, () => -5 * r.next());
    const logp = tf.tensor2d(a, [8, 8]);
    const ref = tf.tensor2d(b, [8, 8]);
    const k3 = flat(await val(klOf(logp, ref, 'k3')));
    const k1 = flat(await val(klOf(logp, ref, 'k1')));
    for (const x of k3) expect(x).toBeGreaterThanOrEqual(-1e-7);
    expect(Math.min(...k1)).toBeLessThan(0);
    tf.dispose([logp, ref]);
  });
});

describe('tokenRewards', () => {
  it('matches the public vector r = [-0.01, 0.025, 1.0] (β = 0.05, k1, score 1)', async () => {
    const out = tf.tidy(() => tokenRewards(tf.tensor1d([1]), tf.tensor2d([[-1, -2, -0.5]]), tf.tensor2d([[-1.2, -1.5, -0.5]]), tf.ones([1, 3]), 0.05, 'k1'));
    expectClose(await val(out.rewards), [[-0.01, 0.025, 1.0]]);
    expectClose(await val(out.kl), [[0.2, -0.5, 0]]);
    tf.dispose(out);
  });

  it('puts the score on the last real token: leading prompt zeros, trailing pads, gaps, all-masked rows', async () => {
    const mask = tf.tensor2d([
      [0, 0, 1, 1, 0, 0], // prompt, 2 response tokens, 2 pads → index 3
      [1, 1, 1, 1, 1, 1], // full → index 5
      [0, 0, 0, 0, 0, 0], // nothing → no score
      [1, 0, 1, 0, 0, 0], // gap → index 2 (the last one)
      [1, 0, 0, 0, 0, 0], // single token → index 0
    ]);
    const scores = tf.tensor1d([10, 20, 30, 40, 50]);
    const zeros = tf.zeros([5, 6]);
    const out = tokenRewards(scores, zeros, zeros, mask, 0.1, 'k3');
    expectClose(await val(out.rewards), [
      [0, 0, 0, 10, 0, 0],
      [0, 0, 0, 0, 0, 20],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 40, 0, 0, 0],
      [50, 0, 0, 0, 0, 0],
    ]);
    tf.dispose([mask, scores, zeros, out]);
  });

  it('KL penalty is masked (no reward or KL on prompt/pad tokens), no NaN with all-masked rows', async () => {
    const logp = tf.tensor2d([
      [-1, -2, -0.5, -3],
      [-1, -2, -0.5, -3],
    ]);
    const ref = tf.tensor2d([
      [-9, -1.5, -0.4, -7],
      [-9, -1.5, -0.4, -7],
    ]);
    const mask = tf.tensor2d([
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    const beta = 0.05;
    const out = tokenRewards(tf.tensor1d([2, 3]), logp, ref, mask, beta, 'k1');
    const r = (await out.rewards.array()) as number[][];
    const kl = (await out.kl.array()) as number[][];
    expectClose(kl, [
      [0, -0.5, -0.1, 0],
      [0, 0, 0, 0],
    ]);
    expectClose(r, [
      [0, -beta * -0.5, -beta * -0.1 + 2, 0],
      [0, 0, 0, 0],
    ]);
    expectAllFinite(r);
    tf.dispose([logp, ref, mask, out]);
  });
});

describe('gae', () => {
  it('matches the public vector (γ = 1, λ = 0.95)', async () => {
    const r = tf.tensor2d([[-0.01, 0.025, 1.0]]);
    const v = tf.tensor2d([[0.5, 0.6, 0.7]]);
    const m = tf.ones([1, 3]);
    const out = gae(r, v, m, 1, 0.95);
    expectClose(await val(out.advantages), [[0.4795, 0.41, 0.3]]);
    expectClose(await val(out.returns), [[0.9795, 1.01, 1.0]]);
    tf.dispose([r, v, m, out]);
  });

  it('a mask that ends early terminates the episode (V and A after it do not leak back)', async () => {
    // Row 0: 3 response tokens then 2 pads with garbage rewards/values.
    // Row 1: 2 prompt tokens (garbage), the same 3 response tokens, no pads.
    const r = tf.tensor2d([
      [-0.01, 0.025, 1.0, 7, -7],
      [5, -5, -0.01, 0.025, 1.0],
    ]);
    const v = tf.tensor2d([
      [0.5, 0.6, 0.7, 100, -100],
      [50, -50, 0.5, 0.6, 0.7],
    ]);
    const m = tf.tensor2d([
      [1, 1, 1, 0, 0],
      [0, 0, 1, 1, 1],
    ]);
    const out = gae(r, v, m, 1, 0.95);
    expectClose(await val(out.advantages), [
      [0.4795, 0.41, 0.3, 0, 0],
      [0, 0, 0.4795, 0.41, 0.3],
    ]);
    expectClose(await val(out.returns), [
      [0.9795, 1.01, 1.0, 0, 0],
      [0, 0, 0.9795, 1.01, 1.0],
    ]);
    tf.dispose([r, v, m, out]);
  });

  it('matches a plain-JS reference on random data with γ < 1 and ragged masks; all-masked rows are 0', async () => {
    const rand = new Rng(7);
    const B = 6;
    const T = 11;
    const R: number[][] = [];
    const V: number[][] = [];
    const M: number[][] = [];
    for (let b = 0; b < B; b++) {
      const start = b === B - 1 ? T : rand.int(4);
      const end = b === B - 1 ? T : start + 1 + rand.int(T - start - 1);
      R.push(Array.from({ length: T }, () => rand.next() * 2 - 1));
      V.push(Array.from({ length: T }, () => rand.next() * 2 - 1));
      M.push(Array.from({ length: T }, (_, t) => (t >= start && t < end ? 1 : 0)));
    }
    const gamma = 0.9;
    const lambda = 0.8;
    const out = gae(tf.tensor2d(R), tf.tensor2d(V), tf.tensor2d(M), gamma, lambda);
    const A = (await out.advantages.array()) as number[][];
    const Ret = (await out.returns.array()) as number[][];
    for (let b = 0; b < B; b++) {
      const ref = gaeJs(R[b], V[b], M[b], gamma, lambda);
      expectClose(A[b], ref.a);
      expectClose(Ret[b], ref.ret);
    }
    expect(flat(A[B - 1]).every((x) => x === 0)).toBe(true);
    expectAllFinite(A);
    tf.dispose(out);
  });
});

describe('whiten / maskedMean', () => {
  it('matches the public whitened A (unbiased variance)', async () => {
    const a = tf.tensor2d([[0.4795, 0.41, 0.3]]);
    const m = tf.ones([1, 3]);
    const w = whiten(a, m);
    expectClose(await val(w), [[0.9170425, 0.1491575, -1.0662001]]);
    tf.dispose([a, m, w]);
  });

  it('ignores masked entries, keeps them 0, and normalises to mean 0 / unbiased var 1', async () => {
    const x = tf.tensor2d([
      [1000, 0.4795, 0.41, -55],
      [0.3, 2, -3, 1e4],
    ]);
    const m = tf.tensor2d([
      [0, 1, 1, 0],
      [1, 1, 1, 0],
    ]);
    const w = flat(await val(whiten(x, m)));
    const keep = [1, 2, 4, 5, 6];
    for (const i of [0, 3, 7]) expect(w[i] === 0).toBe(true);
    const vals = keep.map((i) => w[i]);
    const mean = vals.reduce((s, z) => s + z, 0) / vals.length;
    const unbiased = vals.reduce((s, z) => s + (z - mean) ** 2, 0) / (vals.length - 1);
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(Math.abs(unbiased - 1)).toBeLessThan(1e-4); // biased variance would give 0.8 here
    // shiftMean = false adds the raw masked mean back.
    const rawMean = (0.4795 + 0.41 + 0.3 + 2 - 3) / 5;
    const w2 = flat(await val(whiten(x, m, false)));
    for (const i of keep) expect(Math.abs(w2[i] - (w[i] + rawMean))).toBeLessThan(TOL);
    for (const i of [0, 3, 7]) expect(w2[i] === 0).toBe(true);
    tf.dispose([x, m]);
  });

  it('n <= 1 guards: no NaN, zeros', async () => {
    const x = tf.tensor2d([[3, 4, 5]]);
    const none = tf.zeros([1, 3]);
    const one = tf.tensor2d([[0, 1, 0]]);
    const w0 = await val(whiten(x, none));
    const w1 = await val(whiten(x, one));
    expectClose(w0, [[0, 0, 0]]);
    expectClose(w1, [[0, 0, 0]]);
    expectAllFinite(w0);
    expectAllFinite(w1);
    tf.dispose([x, none, one]);
  });

  it('maskedMean: masked average, 0 when fully masked, per-axis', async () => {
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const m = tf.tensor2d([
      [1, 0, 1],
      [0, 0, 0],
    ]);
    expectClose(await num(maskedMean(x, m)), 2);
    expectClose(await num(maskedMean(x, tf.zerosLike(x))), 0);
    expectClose(await val(maskedMean(x, m, 1)), [2, 0]);
    tf.dispose([x, m]);
  });
});

describe('ppoPolicyLoss', () => {
  it('matches the public cases (ε = 0.2)', async () => {
    const A = tf.tensor2d([[1, -1]]);
    const m = tf.ones([1, 2]);
    const old = tf.zeros([1, 2]);
    const cases: [number[], number, number][] = [
      [[1.5, 0.5], -0.2, 1],
      [[0.5, 1.5], 0.5, 0],
    ];
    for (const [rho, loss, clipfrac] of cases) {
      const logp = tf.log(tf.tensor2d([rho]));
      const out = ppoPolicyLoss(logp, old, A, m, 0.2);
      expectClose(await num(out.loss), loss);
      expectClose(await num(out.clipfrac), clipfrac);
      const lr = rho.map(Math.log);
      expectClose(await num(out.approxKl), 0.5 * ((lr[0] ** 2 + lr[1] ** 2) / 2));
      tf.dispose([logp, out]);
    }
    tf.dispose([A, m, old]);
  });

  it('masked tokens do not count; gradient is finite and zero where clipped or masked', async () => {
    const A = tf.tensor2d([[1, -1, 5]]);
    const m = tf.tensor2d([[1, 1, 0]]);
    const old = tf.zeros([1, 3]);
    const logp0 = tf.log(tf.tensor2d([[1.5, 1.1, 9]]));
    const out = ppoPolicyLoss(logp0, old, A, m, 0.2);
    // token 0: clipped to -1.2; token 1: -A·ρ = 1.1 (unclipped); token 2 masked.
    expectClose(await num(out.loss), (-1.2 + 1.1) / 2);
    expectClose(await num(out.clipfrac), 0.5);
    const g = tf.grad((lp: tf.Tensor) => ppoPolicyLoss(lp, old, A, m, 0.2).loss)(logp0);
    const gv = flat(await val(g));
    expectAllFinite(gv);
    expectClose(gv, [0, (1 * 1.1) / 2, 0]); // d/dlogp of (+ρ)/2 at ρ = 1.1
    tf.dispose([A, m, old, logp0, out, g]);
  });
});

describe('valueLoss', () => {
  it('matches the public case v = 1, v_old = 0.5, R = 0.9 → 0.02', async () => {
    const out = tf.tidy(() => valueLoss(tf.tensor2d([[1.0]]), tf.tensor2d([[0.5]]), tf.tensor2d([[0.9]]), tf.ones([1, 1]), 0.2));
    expectClose(await num(out.loss), 0.02);
    expectClose(await num(out.clipfrac), 1);
    tf.dispose(out);
  });

  it('unclipped when inside the trust region; masked entries ignored', async () => {
    const v = tf.tensor2d([[0.6, 1.0, 123]]);
    const vOld = tf.tensor2d([[0.5, 0.5, 0]]);
    const R = tf.tensor2d([[1.0, 0.9, -50]]);
    const m = tf.tensor2d([[1, 1, 0]]);
    const out = valueLoss(v, vOld, R, m, 0.2);
    // token 0: (0.6-1)^2 = 0.16 vs clip 0.6 → same → 0.16, not clipped. token 1: 0.04 (clipped).
    expectClose(await num(out.loss), 0.5 * ((0.16 + 0.04) / 2));
    expectClose(await num(out.clipfrac), 0.5);
    tf.dispose([v, vOld, R, m, out]);
  });
});

describe('adaptiveKl', () => {
  it('matches the public vectors', () => {
    expect(Math.abs(adaptiveKl(0.2, 12, 6, 256, 10000) - 0.201024)).toBeLessThan(1e-9);
    expect(Math.abs(adaptiveKl(0.2, 3, 6, 256, 10000) - 0.198976)).toBeLessThan(1e-9);
    // Inside the clip band: error = 6.6/6 - 1 = 0.1.
    expect(Math.abs(adaptiveKl(0.2, 6.6, 6, 256, 10000) - 0.2 * (1 + (0.1 * 256) / 10000))).toBeLessThan(1e-12);
    expect(adaptiveKl(0.2, 6, 6, 256, 10000)).toBe(0.2);
  });
});

describe('rankingLoss', () => {
  it('matches the public vectors', async () => {
    const cases: [number[], number][] = [
      [[0.8, 0.7, 0.6], 0.6289774],
      [[2, 1, 0, -1], 0.2070381],
      [[0.3, 0.3], Math.LN2],
    ];
    for (const [s, expected] of cases) {
      const t = tf.tensor2d([s]);
      const l = rankingLoss(t);
      expect(l.shape).toEqual([]);
      expectClose(await num(l), expected);
      tf.dispose([t, l]);
    }
  });

  it('K = 2: equals -log σ(s0 - s1); batch is the mean over prompts (C(K,2) divided once)', async () => {
    const t = tf.tensor2d([
      [1, -1],
      [0, 3],
      [0.5, 0.5],
    ]);
    const l = rankingLoss(t);
    const expected = (-logSigmoidJs(2) - logSigmoidJs(-3) + Math.LN2) / 3;
    expectClose(await num(l), expected);
    const t3 = tf.tensor2d([
      [0.8, 0.7, 0.6],
      [0.8, 0.7, 0.6],
    ]);
    const l3 = rankingLoss(t3);
    expectClose(await num(l3), 0.6289774); // not 0.6289774 / 3
    tf.dispose([t, l, t3, l3]);
  });

  it('equals the mean of its pairwise losses on random scores, K = 4..9', async () => {
    const rand = new Rng(42);
    for (let K = 4; K <= 9; K++) {
      const P = 3;
      const S = Array.from({ length: P }, () => Array.from({ length: K }, () => rand.next() * 6 - 3));
      const t = tf.tensor2d(S);
      const got = await num(rankingLoss(t));
      // Independent pairwise computation: one K = 2 call per (i, j) pair, plus a JS check.
      let sumTf = 0;
      let sumJs = 0;
      for (let p = 0; p < P; p++) {
        let promptTf = 0;
        let promptJs = 0;
        for (let i = 0; i < K; i++) {
          for (let j = i + 1; j < K; j++) {
            const pair = tf.tensor2d([[S[p][i], S[p][j]]]);
            promptTf += await num(rankingLoss(pair));
            promptJs += -logSigmoidJs(S[p][i] - S[p][j]);
            pair.dispose();
          }
        }
        const C = (K * (K - 1)) / 2;
        sumTf += promptTf / C;
        sumJs += promptJs / C;
      }
      expectClose(got, sumTf / P);
      expectClose(got, sumJs / P);
      t.dispose();
    }
  });

  it('is numerically stable for large score gaps', async () => {
    const t = tf.tensor2d([
      [100, -100],
      [-100, 100],
    ]);
    const l = await num(rankingLoss(t));
    expect(Number.isFinite(l)).toBe(true);
    expectClose(l, (0 + 200) / 2, 1e-3);
    const g = await val(tf.grad((s: tf.Tensor) => rankingLoss(s))(t));
    expectAllFinite(g);
    t.dispose();
  });

  it('gradient w.r.t. scores is finite, pushes the best up and the worst down, and matches the analytic form', async () => {
    const S = [
      [0.8, 0.7, 0.6, 0.1],
      [-1, 2, 0.5, 0.5],
    ];
    const t = tf.tensor2d(S);
    const g = (await tf
      .grad((s: tf.Tensor) => rankingLoss(s))(t)
      .array()) as number[][];
    expectAllFinite(g);
    const K = 4;
    const C = (K * (K - 1)) / 2;
    const P = 2;
    for (let p = 0; p < P; p++) {
      // dL/ds_k = (1/(P·C)) [ -Σ_{j>k} σ(s_j - s_k) + Σ_{i<k} σ(s_k - s_i) ]
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      const expected = S[p].map((sk, k) => {
        let d = 0;
        for (let j = k + 1; j < K; j++) d -= sig(S[p][j] - sk);
        for (let i = 0; i < k; i++) d += sig(sk - S[p][i]);
        return d / (P * C);
      });
      expectClose(g[p], expected);
      expect(g[p][0]).toBeLessThan(0); // raising the best-ranked score lowers the loss
      expect(g[p][K - 1]).toBeGreaterThan(0); // raising the worst-ranked score raises it
      expect(Math.abs(g[p].reduce((a, b) => a + b, 0))).toBeLessThan(1e-6); // shift invariant
    }
    t.dispose();
  });

  it('rejects K < 2', () => {
    const t = tf.tensor2d([[1], [2]]);
    expect(() => rankingLoss(t)).toThrow();
    t.dispose();
  });
});

describe('pairwiseAccuracy', () => {
  it('perfect, reversed, ties and mixed', async () => {
    const cases: [number[][], number][] = [
      [[[3, 2, 1, 0]], 1],
      [[[0, 1, 2, 3]], 0],
      [[[1, 1, 1]], 0.5],
      [[[0.2, 0.2]], 0.5],
      // pairs: (2>3? no), (2>1 yes), (3>1 yes) → 2/3; second row ties (5,5) 0.5, (5>4) 1, (5>4) 1 → 2.5/3
      [
        [
          [2, 3, 1],
          [5, 5, 4],
        ],
        (2 + 2.5) / 6,
      ],
    ];
    for (const [s, expected] of cases) {
      const t = tf.tensor2d(s);
      const a = pairwiseAccuracy(t);
      expect(a.shape).toEqual([]);
      expectClose(await num(a), expected);
      tf.dispose([t, a]);
    }
  });

  it('per set: each row its own share of right pairs, their mean the overall accuracy', async () => {
    const t = tf.tensor2d([
      [2, 3, 1],
      [5, 5, 4],
      [0, 1, 2],
    ]);
    const each = pairwiseAccuracyPerSet(t);
    expect(each.shape).toEqual([3]);
    const got = Array.from(await each.data());
    [2 / 3, 2.5 / 3, 0].forEach((x, i) => expectClose(got[i], x));
    const all = pairwiseAccuracy(t);
    expectClose(await num(all), got.reduce((a, b) => a + b) / 3);
    tf.dispose([t, each, all]);
  });
});

describe('sequenceLogProbs / entropyFromLogits', () => {
  const B = 2;
  const T = 3;
  const V = 5;
  const rand = new Rng(3);
  const L = Array.from({ length: B }, () => Array.from({ length: T }, () => Array.from({ length: V }, () => rand.next() * 4 - 2)));
  const toks = [
    [0, 4, 2],
    [3, 3, 1],
  ];
  const logSoftmaxJs = (row: number[], temp: number) => {
    const z = row.map((x) => x / temp);
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((s, x) => s + Math.exp(x - mx), 0));
    return z.map((x) => x - lse);
  };

  it('gathers log π(token) at temperature τ', async () => {
    for (const temp of [1, 0.7, 2]) {
      const logits = tf.tensor3d(L);
      const tokens = tf.tensor2d(toks, [B, T], 'int32');
      const lp = sequenceLogProbs(logits, tokens, temp);
      expect(lp.shape).toEqual([B, T]);
      const expected = toks.map((row, b) => row.map((tok, t) => logSoftmaxJs(L[b][t], temp)[tok]));
      expectClose(await val(lp), expected);
      // float token ids are accepted too
      const lpf = sequenceLogProbs(logits, tf.cast(tokens, 'float32'), temp);
      expectClose(await val(lpf), expected);
      tf.dispose([logits, tokens, lp, lpf]);
    }
  });

  it('has the gradient onehot(token) - softmax (no tf.gather)', async () => {
    const logits = tf.tensor3d(L);
    const tokens = tf.tensor2d(toks, [B, T], 'int32');
    const g = (await tf
      .grad((x: tf.Tensor) => tf.sum(sequenceLogProbs(x, tokens)))(logits)
      .array()) as number[][][];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const p = logSoftmaxJs(L[b][t], 1).map(Math.exp);
        expectClose(
          g[b][t],
          p.map((pv, v) => (v === toks[b][t] ? 1 : 0) - pv),
        );
      }
    }
    tf.dispose([logits, tokens]);
  });

  it('entropy: matches -Σ p log p, ln V for uniform logits, ~0 for a peaked distribution', async () => {
    for (const temp of [1, 0.5]) {
      const logits = tf.tensor3d(L);
      const h = (await entropyFromLogits(logits, temp).array()) as number[][];
      const expected = L.map((row) =>
        row.map((z) => {
          const lp = logSoftmaxJs(z, temp);
          return -lp.reduce((s, l) => s + Math.exp(l) * l, 0);
        }),
      );
      expectClose(h, expected);
      logits.dispose();
    }
    const uniform = tf.zeros([1, 2, 7]);
    expectClose(await val(entropyFromLogits(uniform)), [[Math.log(7), Math.log(7)]]);
    const peaked = tf.tensor3d([[[100, 0, 0, 0]]]);
    const hp = await val(entropyFromLogits(peaked));
    expectAllFinite(hp);
    expectClose(hp, [[0]], 1e-6);
    const g = await val(tf.grad((x: tf.Tensor) => tf.sum(entropyFromLogits(x)))(tf.tensor3d(L)));
    expectAllFinite(g);
    tf.dispose([uniform, peaked]);
  });
});

describe('memory', () => {
  it('returns only its outputs (everything else is tidied)', () => {
    const B = 2;
    const T = 4;
    const V = 3;
    const logp = tf.randomNormal([B, T]);
    const ref = tf.randomNormal([B, T]);
    const mask = tf.tensor2d([
      [0, 1, 1, 0],
      [1, 1, 1, 1],
    ]);
    const scores = tf.tensor1d([1, 2]);
    const logits = tf.randomNormal([B, T, V]);
    const tokens = tf.tensor2d(
      [
        [0, 1, 2, 0],
        [2, 2, 1, 0],
      ],
      [B, T],
      'int32',
    );
    const ranked = tf.randomNormal([3, 5]);
    const inputs = [logp, ref, mask, scores, logits, tokens, ranked];
    const before = tf.memory().numTensors;
    const outs: [unknown, number][] = [
      [tokenRewards(scores, logp, ref, mask, 0.1, 'k3'), 2],
      [gae(logp, ref, mask, 1, 0.95), 2],
      [maskedMean(logp, mask), 1],
      [whiten(logp, mask), 1],
      [ppoPolicyLoss(logp, ref, logp, mask, 0.2), 3],
      [valueLoss(logp, ref, logp, mask, 0.2), 2],
      [rankingLoss(ranked), 1],
      [pairwiseAccuracy(ranked), 1],
      [sequenceLogProbs(logits, tokens, 0.7), 1],
      [entropyFromLogits(logits, 0.7), 1],
    ];
    for (const [out, n] of outs) {
      const tensors = out instanceof tf.Tensor ? [out] : Object.values(out as Record<string, tf.Tensor>);
      expect(tensors.length).toBe(n);
      for (const t of tensors) expect(t).toBeInstanceOf(tf.Tensor);
    }
    const produced = outs.reduce((s, [, n]) => s + n, 0);
    expect(tf.memory().numTensors).toBe(before + produced);
    for (const [out] of outs) tf.dispose(out as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(inputs);
  });
});
