import type { Rng } from '../util/rng';

export interface SamplingOptions {
  /** 0 means greedy (argmax) */
  temperature: number;
  /** keep the k most likely tokens; 0 = off */
  topK: number;
  /** keep the smallest set whose probability reaches p; 1 = off */
  topP: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1 };

/** Picks one token id from a row of logits (length V). Pure JS: rows are tiny (V = 100). */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng, banned?: Set<number>): number {
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
