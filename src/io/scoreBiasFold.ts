/**
 * A reward or value model's score head for Hugging Face: HF's GPT2ForSequenceClassification has no
 * bias on its score, so the "Continue in TRL" bundle (trlBundle.ts) moves the app's into ln_f.bias.
 */
import type { Weights } from './modelFiles';

/**
 * y = w·LN(x) + b with LN(x) = g ⊙ n + β equals w·(g ⊙ n + β + b·w/|w|²): the bias moves into ln_f's
 * bias along w. Exact up to float rounding, and only the score reads ln_f in a reward or value model
 * (its unembedding is unused). A zero w (an untrained head) keeps its bias.
 */
export function foldScoreBias(weights: Weights): Weights {
  const w = weights.get('score.weight');
  const b = weights.get('score.bias');
  const beta = weights.get('ln_f.bias');
  if (!w || !b || !beta || b[0] === 0) return weights;
  let norm2 = 0;
  for (const x of w) norm2 += x * x;
  if (norm2 === 0) return weights;
  const out = new Map(weights);
  // in float64, then rounded once
  out.set(
    'ln_f.bias',
    Float32Array.from(beta, (x, i) => x + (b[0] * w[i]) / norm2),
  );
  out.set('score.bias', new Float32Array(1));
  return out;
}
