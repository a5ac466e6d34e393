/**
 * The token ids sampling never draws, and the distribution it does draw from: generate.ts passes
 * BANNED to sampleToken and to the GPU next-token predictor; rlhf/sequences.ts `policyLogits` masks
 * the same ids with maskBanned, so a log-prob of an action is the log of the probability it was
 * sampled with.
 */
import * as tf from '@tensorflow/tfjs';
import { BOS, PAD } from './tokenizer';

/** PAD and BOS are never generated. */
export const BANNED = new Set([PAD, BOS]);

/**
 * Added to the logits of the ids sampling never draws (PAD, BOS: `BANNED`), so every
 * log-prob of an action — rollout, reference, the loss kernel, entropy — is the log of the
 * probability the action was sampled with (softmax over the allowed ids). −1e4 (not −∞ or −1e9)
 * underflows exp() to exactly 0 at any temperature ≤ 2, yet keeps masked positions (PAD actions
 * after a response ends, multiplied by mask 0) finite: a difference of two such log-probs stays
 * O(10), so exp() of it never overflows into inf · 0 = NaN.
 */
const BANNED_LOGIT = -1e4;

/** Logits (…, V) with the banned ids at BANNED_LOGIT: the distribution sampling draws from. */
export function maskBanned<T extends tf.Tensor>(logits: T): T {
  const V = logits.shape[logits.rank - 1];
  const bias = new Float32Array(V);
  for (const id of BANNED) bias[id] = BANNED_LOGIT;
  return tf.add(logits, tf.tensor1d(bias)) as T;
}
