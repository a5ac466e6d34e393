import { describe, expect, test } from 'vitest';
import { sampleToken, type SamplingOptions } from '../../src/model/sampling';
import { Rng } from '../../src/util/rng';

describe('sampleToken on float32 rows (the typed-array sort)', () => {
  // A plain array takes the comparator sort (sortedIds, the code the typed-array sort replaced): same draws.
  test('draws exactly what the comparator sort draws: ties, ±0, negative and huge logits, banned ids, top-k, top-p', () => {
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
        expect(sampleToken(logits, opts, new Rng(seed), ban)).toBe(sampleToken(Array.from(logits), opts, new Rng(seed), ban));
        checked++;
      }
    }
    expect(checked).toBe(15000);
  });
});
