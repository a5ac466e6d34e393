import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { generate } from '../../src/model/generate';
import { encode, EOS } from '../../src/model/tokenizer';
import { KVDecoder, kvDecoderActive } from '../../src/model/decoder';
import { sampleNext } from '../../src/kernels/decode/op';
import { decoderStats, setTuning } from '../../src/kernels/tuning';
import { sampleToken, type SamplingOptions } from '../../src/model/sampling';
import { Rng } from '../../src/util/rng';
import { TEST_CFG, maxAbsDiff, modelFrom, randomWeights } from './helpers';

const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1 };

beforeAll(async () => {
  await initBackend('webgpu');
});

describe('generation', () => {
  const prompts = ['reverse: abc\n', 'hi', 'sort: 3 1 2\n'].map((p) => [1, ...encode(p)]);

  test('the KV decoder (prefill, then one token per step) gives the logits of GPT.logits on the whole left-padded context', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 4));
    expect(kvDecoderActive(model)).toBe(true);
    const B = prompts.length;
    const P = Math.max(...prompts.map((p) => p.length));
    const pads = prompts.map((p) => P - p.length);
    const rows = prompts.map((p, b) => [...new Array(pads[b]).fill(0), ...p]);
    const V = TEST_CFG.vocabSize;
    /** last-position logits of the full recomputation (B, V) */
    const reference = async () => {
      const Tk = rows[0].length;
      const pos = rows.flatMap((_, b) => Array.from({ length: Tk }, (_, j) => Math.max(0, j - pads[b])));
      const valid = rows.flatMap((_, b) => Array.from({ length: Tk }, (_, j) => (j >= pads[b] ? 1 : 0)));
      const logits = tf.tidy(() =>
        model
          .logits(tf.tensor2d(rows.flat(), [B, Tk], 'int32'), { positions: tf.tensor2d(pos, [B, Tk], 'int32'), keyValid: tf.tensor2d(valid, [B, Tk]) })
          .slice([0, Tk - 1, 0], [B, 1, V]),
      );
      const data = await logits.data();
      logits.dispose();
      return data;
    };
    const before = tf.memory().numTensors;
    const decoder = new KVDecoder(model, pads);
    const prompt = tf.tensor2d(rows.flat(), [B, P], 'int32');
    const first = decoder.prefill(prompt);
    expect(maxAbsDiff(await first.data(), await reference())).toBeLessThan(1e-4);
    tf.dispose([prompt, first]);
    for (const next of [7, 40, 2, 99]) {
      for (const r of rows) r.push(next);
      const tok = tf.tensor1d(
        rows.map((r) => r[r.length - 1]),
        'int32',
      );
      const logits = decoder.step(tok, rows[0].length - 1);
      expect(maxAbsDiff(await logits.data(), await reference())).toBeLessThan(1e-4);
      tf.dispose([tok, logits]);
    }
    decoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('greedy decoding with the tf.concat cache (the decoder off) equals full recomputation too', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 5));
    const opts = { ...GREEDY, maxNewTokens: 6, seed: 1 };
    setTuning({ kvDecoder: false });
    try {
      const cached = await generate(model, prompts, { ...opts, useCache: true });
      const full = await generate(model, prompts, { ...opts, useCache: false });
      expect(cached.tokens).toEqual(full.tokens);
    } finally {
      setTuning({ kvDecoder: null });
    }
    model.dispose();
  });

  test('KV-cache greedy decoding gives exactly the tokens of full recomputation', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 5));
    const opts = { ...GREEDY, maxNewTokens: 8, seed: 1 };
    const before = tf.memory().numTensors;
    const cached = await generate(model, prompts, { ...opts, useCache: true });
    const full = await generate(model, prompts, { ...opts, useCache: false });
    expect(tf.memory().numTensors).toBe(before); // the cache is freed
    expect(cached.tokens).toEqual(full.tokens);
    expect(cached.tokens.every((row) => row.length > 0)).toBe(true);
    model.dispose();
  });

  test('a row generates the same tokens alone as inside a left-padded batch', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 6));
    const opts = { ...GREEDY, maxNewTokens: 6, seed: 1, useCache: true };
    const batch = await generate(model, prompts, opts);
    const alone = await generate(model, [prompts[1]], opts);
    expect(batch.tokens[1]).toEqual(alone.tokens[0]);
    model.dispose();
  });

  test('sampling is seeded, respects top-k = 1 as greedy, and stops rows at EOS', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 8));
    const sample = { temperature: 1, topK: 0, topP: 0.9, maxNewTokens: 10, useCache: true };
    const a = await generate(model, prompts, { ...sample, seed: 42 });
    const b = await generate(model, prompts, { ...sample, seed: 42 });
    expect(a.tokens).toEqual(b.tokens);
    const k1 = await generate(model, prompts, { ...sample, topK: 1, topP: 1, seed: 3 });
    const greedy = await generate(model, prompts, { ...GREEDY, maxNewTokens: 10, seed: 9, useCache: true });
    expect(k1.tokens).toEqual(greedy.tokens);
    for (const row of a.tokens) {
      const eos = row.indexOf(EOS);
      if (eos >= 0) expect(eos).toBe(row.length - 1);
    }
    model.dispose();
  });

  const batch = ['reverse: abc\n', 'hi', 'sort: 3 1 2\n', 'upper: xyz\n', 'count: a a b\n', 'x'].map((p) => [1, ...encode(p)]);
  // flat-ish logits (weights std 0.1): samples spread over many tokens, rows rarely stop early
  const flat = (seed: number) => {
    const w = randomWeights(TEST_CFG, seed);
    for (const [name, v] of w) if (!name.includes('ln_')) v.forEach((x, i) => (v[i] = x / 3));
    return modelFrom(TEST_CFG, w);
  };
  const sampled = { temperature: 1, topK: 0, topP: 1, maxNewTokens: 12, useCache: true };

  test('sampling at temperature 1 with a fixed seed gives the tokens of the tf.concat cache path (before the KV decoder) and of recomputation', async () => {
    const model = flat(11);
    for (const seed of [1, 2, 3]) {
      const now = await generate(model, batch, { ...sampled, seed });
      setTuning({ kvDecoder: false });
      const before = await generate(model, batch, { ...sampled, seed }).finally(() => setTuning({ kvDecoder: null }));
      const recompute = await generate(model, batch, { ...sampled, seed, useCache: false });
      expect(now.tokens).toEqual(before.tokens);
      expect(now.tokens).toEqual(recompute.tokens);
      expect(now.finished).toEqual(before.finished);
      expect(now.tokens.flat().length).toBeGreaterThan(batch.length * 6);
    }
    model.dispose();
  });

  test('the pipelined decoder: GPU predictions are checked, wrong ones replayed; same tokens at every pipeline depth', async () => {
    const model = flat(12);
    const before = tf.memory().numTensors;
    const reference = await generate(model, batch, { ...sampled, seed: 5 });
    expect(decoderStats.replays).toBe(0); // the GPU predicted every step
    expect(decoderStats.issued).toBe(decoderStats.steps);
    for (const depth of [1, 2, 5]) {
      setTuning({ decodePipelineDepth: depth });
      const g = await generate(model, batch, { ...sampled, seed: 5 }).finally(() => setTuning({ decodePipelineDepth: null }));
      expect(g.tokens).toEqual(reference.tokens);
    }
    // predictions made wrong on purpose: every wrong step is replayed from the checked tokens
    setTuning({ predictorMisses: true });
    const replayed = await generate(model, batch, { ...sampled, seed: 5 }).finally(() => setTuning({ predictorMisses: false }));
    expect(decoderStats.replays).toBeGreaterThan(3);
    expect(decoderStats.issued).toBeGreaterThan(decoderStats.steps);
    expect(replayed.tokens).toEqual(reference.tokens);
    // greedy and top-p (not predicted) agree with the concat path too
    for (const o of [{ ...GREEDY }, { temperature: 0.8, topK: 0, topP: 0.9 }, { temperature: 1.3, topK: 5, topP: 1 }]) {
      const now = await generate(model, batch, { ...sampled, ...o, seed: 8 });
      setTuning({ kvDecoder: false });
      const old = await generate(model, batch, { ...sampled, ...o, seed: 8 }).finally(() => setTuning({ kvDecoder: null }));
      expect(now.tokens).toEqual(old.tokens);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('rows that stop at EOS stop drawing, and the batch stops when every row has stopped', async () => {
    const model = flat(13);
    // make EOS likely: raise its embedding row (the tied unembedding then favours it)
    const wte = model.p('wte.weight');
    const data = (await wte.data()).slice();
    for (let c = 0; c < TEST_CFG.dModel; c++) data[EOS * TEST_CFG.dModel + c] *= 4;
    wte.assign(tf.tensor2d(data, wte.shape as [number, number]));
    for (const seed of [1, 2]) {
      const now = await generate(model, batch, { ...sampled, seed, maxNewTokens: 16 });
      setTuning({ kvDecoder: false });
      const old = await generate(model, batch, { ...sampled, seed, maxNewTokens: 16 }).finally(() => setTuning({ kvDecoder: null }));
      expect(now).toEqual(old);
      expect(now.finished.some(Boolean)).toBe(true);
      for (const [b, row] of now.tokens.entries()) expect(row.includes(EOS)).toBe(now.finished[b]);
    }
    model.dispose();
  });

  test('the GPU prediction (sampleNext) picks what sampleToken picks from the same uniform numbers', async () => {
    const B = 96;
    const V = 100;
    const gen = new Rng(21);
    let rows = 0;
    let same = 0;
    for (const temperature of [0, 0.7, 1, 1.5]) {
      for (const scale of [0.05, 1, 4]) {
        const logits = Float32Array.from({ length: B * V }, () => gen.normal() * scale);
        for (let b = 0; b < B; b += 7) logits[b * V + 50] = logits[b * V + 60]; // a tie
        // half the rows finished: they emit PAD and draw nothing
        const fin = Array.from({ length: B }, (_, b) => (b % 3 === 1 ? 1 : 0));
        const draws = 5;
        const stream = new Rng(gen.int(1000));
        const u = Float32Array.from({ length: B + draws }, () => stream.next());
        const prev = tf.tensor1d([...new Array(B).fill(0), ...fin, draws], 'int32');
        const lt = tf.tensor2d(logits, [B, V]);
        const ut = tf.tensor1d(u);
        const next = sampleNext(lt, ut, prev, { temperature, banned: [0, 1], pad: 0, eos: 2 });
        const got = await next.data();
        tf.dispose([prev, lt, ut, next]);
        // sampleToken with the same stream: skip the first `draws`, then one per unfinished row
        const rng = new Rng(0);
        const values = u.subarray(draws);
        let k = 0;
        const open = fin.filter((f) => !f).length;
        for (let b = 0; b < B; b++) {
          if (fin[b]) {
            expect(got[b]).toBe(0);
            expect(got[B + b]).toBe(1);
            continue;
          }
          // a stand-in Rng that returns the float32 uniform the GPU saw
          const x = values[k];
          if (temperature > 0) k++;
          Object.assign(rng, { next: () => x });
          const want = sampleToken(logits.subarray(b * V, (b + 1) * V), { temperature, topK: 0, topP: 1 }, rng, new Set([0, 1]));
          rows++;
          if (got[b] === want) same++;
          expect(got[B + b]).toBe(got[b] === 2 ? 1 : 0); // EOS finishes the row
        }
        expect(got[2 * B]).toBe(draws + (temperature > 0 ? open : 0));
      }
    }
    expect(rows).toBe(12 * 64);
    // float32 on the GPU vs float64 in sampleToken can only differ at an interval boundary (all 768
    // agreed on SwiftShader; another GPU's exp may round differently)
    expect(same).toBeGreaterThanOrEqual(rows - 2);
  });
});
