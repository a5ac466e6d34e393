import { describe, expect, test } from 'vitest';
import { sampleToken, type SamplingOptions } from '../../src/model/sampling';
import { Rng } from '../../src/util/rng';

/** sampleToken as it was before the typed-array sort (the reference for identical draws). */
function sampleTokenReference(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng, banned?: Set<number>): number {
  const V = logits.length;
  const ok = (i: number) => !banned?.has(i);
  if (opts.temperature <= 0) {
    let best = -1;
    for (let i = 0; i < V; i++) if (ok(i) && (best < 0 || logits[i] > logits[best])) best = i;
    return best;
  }
  const ids: number[] = [];
  for (let i = 0; i < V; i++) if (ok(i)) ids.push(i);
  ids.sort((a, b) => logits[b] - logits[a]);
  const keep = opts.topK > 0 ? ids.slice(0, opts.topK) : ids;
  const max = logits[keep[0]];
  const weights = keep.map((i) => Math.exp((logits[i] - max) / opts.temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let n = keep.length;
  if (opts.topP < 1) {
    let cum = 0;
    for (let j = 0; j < keep.length; j++) {
      cum += weights[j] / total;
      if (cum >= opts.topP) {
        n = j + 1;
        break;
      }
    }
  }
  const kept = weights.slice(0, n);
  const sum = kept.reduce((a, b) => a + b, 0);
  let r = rng.next() * sum;
  for (let j = 0; j < n; j++) {
    r -= kept[j];
    if (r < 0) return keep[j];
  }
  return keep[n - 1];
}

describe('sampleToken on float32 rows (the typed-array sort)', () => {
  test('draws exactly what the comparator sort drew: ties, ±0, negative and huge logits, banned ids, top-k, top-p', () => {
    const gen = new Rng(7);
    const options: SamplingOptions[] = [
      { temperature: 1, topK: 0, topP: 1 },
      { temperature: 0.7, topK: 0, topP: 1 },
      { temperature: 1.5, topK: 5, topP: 1 },
      { temperature: 1, topK: 0, topP: 0.9 },
      { temperature: 1, topK: 10, topP: 0.5 },
    ];
    const banned = new Set([0, 1]);
    let checked = 0;
    for (let row = 0; row < 3000; row++) {
      const V = row % 7 === 0 ? 7 : 100;
      const logits = new Float32Array(V);
      const scale = [0.01, 1, 5, 300][row % 4];
      for (let i = 0; i < V; i++) logits[i] = gen.normal() * scale;
      if (row % 5 === 0) for (let i = 0; i < V; i += 3) logits[i] = logits[(i * 7) % V]; // ties
      if (row % 11 === 0) {
        logits[2] = 0;
        logits[3] = -0;
        logits[4] = -0;
      }
      if (row % 13 === 0) logits.fill(0.25); // all tied
      for (const opts of options) {
        const seed = gen.int(2 ** 31);
        const ban = row % 2 ? banned : undefined;
        expect(sampleToken(logits, opts, new Rng(seed), ban)).toBe(sampleTokenReference(logits, opts, new Rng(seed), ban));
        checked++;
      }
    }
    expect(checked).toBe(15000);
  });

  test('plain arrays still take the comparator path with the same result', () => {
    const logits = [0.5, 2, -1, 2, 0.25]; // exact in float32
    for (let seed = 0; seed < 50; seed++) {
      const opts = { temperature: 1, topK: 0, topP: 1 };
      expect(sampleToken(logits, opts, new Rng(seed))).toBe(sampleToken(Float32Array.from(logits), opts, new Rng(seed)));
    }
  });
});
