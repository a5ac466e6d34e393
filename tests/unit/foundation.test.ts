import { describe, expect, test } from 'vitest';
import { BOS, EOS, PAD, UNK, VOCAB_SIZE, decode, encode, tokenText, vocabulary } from '../../src/model/tokenizer';
import { learningRate } from '../../src/model/schedule';
import { GPT_LIMITS, PRESETS, parameterCount, validateConfig } from '../../src/model/config';
import { paramSpecs, initialWeights } from '../../src/model/params';
import { sampleToken } from '../../src/model/sampling';
import { packCorpus, sampleWindows } from '../../src/train/batches';
import { Rng } from '../../src/util/rng';

describe('tokenizer', () => {
  test('encode/decode round-trips every allowed character', () => {
    const text = 'reverse: abc\nSORT 3 1 2 ~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./';
    expect(decode(encode(text))).toBe(text);
    let all = '\n';
    for (let c = 32; c <= 126; c++) all += String.fromCharCode(c);
    expect(decode(encode(all))).toBe(all);
    expect(new Set(encode(all)).size).toBe(all.length);
  });
  test('specials: ids are stable, decode drops PAD/BOS and stops at EOS, unknown chars become UNK', () => {
    expect([PAD, BOS, EOS, UNK]).toEqual([0, 1, 2, 3]);
    expect(VOCAB_SIZE).toBe(100);
    expect(Math.max(...encode('~'))).toBe(VOCAB_SIZE - 1);
    expect(decode([BOS, ...encode('ab'), EOS, ...encode('cd')])).toBe('ab');
    expect(decode([PAD, PAD, ...encode('x')])).toBe('x');
    expect(encode('é')).toEqual([UNK]);
    expect(decode(encode('aé'))).toBe('a?');
    expect(tokenText(EOS)).toBe('<eos>');
    expect(Object.keys(vocabulary())).toHaveLength(VOCAB_SIZE);
  });
});

describe('learning-rate schedule', () => {
  const s = { peak: 1e-3, warmup: 10, total: 110, minRatio: 0.1 };
  test('linear warm-up to the peak, cosine to peak·minRatio, then flat', () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-4, 10);
    expect(learningRate(9, s)).toBeCloseTo(1e-3, 10);
    expect(learningRate(10, s)).toBeCloseTo(1e-3, 10);
    expect(learningRate(60, s)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5), 10);
    expect(learningRate(110, s)).toBeCloseTo(1e-4, 10);
    expect(learningRate(500, s)).toBeCloseTo(1e-4, 10);
    for (let t = 11; t < 110; t++) expect(learningRate(t, s)).toBeLessThanOrEqual(learningRate(t - 1, s));
  });
  test('no warm-up starts at the peak', () => {
    expect(learningRate(0, { ...s, warmup: 0 })).toBeCloseTo(1e-3, 10);
  });
});

describe('model config', () => {
  test('every preset is valid and the parameter count matches the specs', () => {
    for (const cfg of Object.values(PRESETS)) {
      expect(validateConfig(cfg)).toEqual([]);
      const n = paramSpecs(cfg).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
      expect(parameterCount(cfg)).toBe(n);
    }
  });
  test('invalid configs are explained', () => {
    const bad = validateConfig({ ...PRESETS.tiny, dModel: 30, nHead: 4, nLayer: 0, dropout: 2 });
    expect(bad.join(' ')).toMatch(/divisible by nHead/);
    expect(bad.join(' ')).toMatch(/nLayer must be between 1/);
    expect(bad.join(' ')).toMatch(/dropout must be between 0 and 0.9/);
    expect(validateConfig({ ...PRESETS.tiny, contextLength: 1.5 }).join(' ')).toMatch(/contextLength/);
    expect(validateConfig({ ...PRESETS.tiny, nHead: NaN }).join(' ')).toMatch(/nHead must be a number/);
    expect(GPT_LIMITS.nLayer.min).toBe(1);
  });
  test('initialisation is deterministic per seed and follows GPT-2', () => {
    const a = initialWeights(PRESETS.micro, 5);
    const b = initialWeights(PRESETS.micro, 5);
    const c = initialWeights(PRESETS.micro, 6);
    expect(a.get('h.0.attn.c_attn.weight')).toEqual(b.get('h.0.attn.c_attn.weight'));
    expect(a.get('h.0.attn.c_attn.weight')).not.toEqual(c.get('h.0.attn.c_attn.weight'));
    expect(Array.from(a.get('h.0.ln_1.weight')!).every((x) => x === 1)).toBe(true);
    expect(Array.from(a.get('h.0.attn.c_attn.bias')!).every((x) => x === 0)).toBe(true);
    const w = a.get('wte.weight')!;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
  });
});

describe('sampling', () => {
  const logits = [0, 3, 1, 2.9];
  test('greedy picks the argmax; banned ids are never picked', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1))).toBe(1);
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1), new Set([1]))).toBe(3);
  });
  test('top-k and top-p restrict the support', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 200; i++) {
      expect([1, 3]).toContain(sampleToken(logits, { temperature: 1, topK: 2, topP: 1 }, rng));
      expect([1, 3]).toContain(sampleToken(logits, { temperature: 1, topK: 0, topP: 0.8 }, rng));
    }
  });
  test('temperature 1 sampling follows softmax frequencies', () => {
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, rng)]++;
    const z = logits.reduce((s, x) => s + Math.exp(x), 0);
    logits.forEach((x, i) => expect(counts[i] / 20000).toBeCloseTo(Math.exp(x) / z, 1));
  });
});

describe('batches', () => {
  test('windows are aligned next-token pairs', () => {
    const stream = packCorpus(['abc', 'defgh']);
    expect(Array.from(stream.slice(0, 5))).toEqual([BOS, ...encode('abc'), EOS]);
    const b = sampleWindows(stream, 4, 5, new Rng(1));
    for (let r = 0; r < 4; r++) for (let t = 0; t < 4; t++) expect(b.targets[r * 5 + t]).toBe(b.inputs[r * 5 + t + 1]);
    expect(() => sampleWindows(stream, 1, 100, new Rng(1))).toThrow(/too short/);
  });
});
