/**
 * RLHF math (InstructGPT: reward model ranking loss, PPO-ptx with a KL penalty).
 *
 * Every function is built from plain tfjs ops so it runs unchanged on the cpu, wasm and
 * webgpu backends, and the ones used inside a loss (klPenalty, sequenceLogProbs,
 * entropyFromLogits, ppoPolicyLoss, valueLoss, rankingLoss, maskedMean, whiten) are
 * differentiable. Nothing here reads data back to JS (no dataSync / arraySync / array):
 * shapes are the only thing inspected on the JS side.
 *
 * Shape legend: B = batch (rollouts), T = time (tokens), V = vocabulary,
 * P = prompts, K = ranked responses per prompt.
 * A "mask" is 1 on response tokens that count and 0 on prompt tokens and padding.
 * Conventions follow TRL where the open trainers disagree (named at each choice).
 */
import * as tf from '@tensorflow/tfjs';

export type KlEstimator = 'k1' | 'k3';

/** Variance floor used by whiten: (x - mean) / sqrt(var + WHITEN_EPS). */
const WHITEN_EPS = 1e-8;

/**
 * Per-token KL estimate between the policy and the reference (SFT) model, from the
 * log-probabilities of the sampled tokens.
 *
 *   k1 = logp - ref                               (unbiased, can be negative per token)
 *   k3 = exp(ref - logp) - 1 - (ref - logp)       (unbiased, always >= 0, but heavy-tailed:
 *                                                  exponential in ref - logp for a rare token)
 *
 * The pipeline's default is k1, the paper's penalty (src/rlhf/config.ts says why).
 * logp, refLogp: [B,T]  ->  [B,T] (not masked; multiply by the mask yourself).
 */
function klPenalty(logp: tf.Tensor, refLogp: tf.Tensor, estimator: KlEstimator): tf.Tensor {
  return tf.tidy(() => {
    if (estimator === 'k1') return tf.sub(logp, refLogp);
    if (estimator === 'k3') {
      const logRatio = tf.sub(refLogp, logp); // log(pi_ref / pi)
      return tf.sub(tf.sub(tf.exp(logRatio), 1), logRatio);
    }
    throw new Error(`klPenalty: unknown estimator ${String(estimator)}`);
  });
}

/**
 * One-hot of the LAST position with mask > 0 in each row; all-zero rows give an all-zero row.
 *
 *   last_b  = argmax_t( [mask_bt > 0] · (t + 1) )      (unique max: positions carry distinct t+1)
 *   out_bt  = onehot(last_b)_t · [any_t mask_bt > 0]
 *
 * Works with leading zeros (prompt tokens), trailing zeros (padding) and gaps.
 * mask: [B,T]  ->  float32 [B,T]. Not differentiable (it does not need to be).
 */
function lastTokenOneHot(mask: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [, T] = mask.shape;
    const on = tf.cast(tf.greater(mask, 0), 'float32'); // [B,T] in {0,1}
    const position = tf.range(1, T + 1, 1, 'float32'); // [T] = t + 1
    const last = tf.argMax(tf.mul(on, position), 1); // [B] int32
    const oneHot = tf.cast(tf.oneHot(last, T), 'float32'); // [B,T]
    const hasAny = tf.max(on, 1, true); // [B,1], 0 when the row is fully masked
    return tf.mul(oneHot, hasAny) as tf.Tensor2D;
  });
}

/**
 * Per-token PPO rewards (InstructGPT §3.5 / TRL `compute_rewards`):
 *
 *   kl_bt      = KL_est(logp_bt, ref_bt) · mask_bt
 *   rewards_bt = -beta · kl_bt + score_b · [t = last unmasked index of row b]
 *
 * The score goes on the last real response token (never on a pad); a row with no unmasked
 * token gets no score (and zero reward everywhere).
 * scores: [B]; logp, refLogp, mask: [B,T]  ->  { rewards [B,T], kl [B,T] (masked) }.
 */
export function tokenRewards(
  scores: tf.Tensor,
  logp: tf.Tensor,
  refLogp: tf.Tensor,
  mask: tf.Tensor,
  beta: number,
  estimator: KlEstimator,
): { rewards: tf.Tensor2D; kl: tf.Tensor2D } {
  return tf.tidy(() => {
    const kl = tf.mul(klPenalty(logp, refLogp, estimator), mask);
    const place = lastTokenOneHot(mask); // [B,T]
    const scoreAtEnd = tf.mul(place, tf.reshape(scores, [-1, 1])); // [B,T]
    const rewards = tf.add(tf.mul(kl, -beta), scoreAtEnd);
    return { rewards: rewards as tf.Tensor2D, kl: kl as tf.Tensor2D };
  });
}

/**
 * Generalised advantage estimation (Schulman et al. 2016, as in TRL), backwards over T:
 *
 *   δ_t = r_t + γ · V_{t+1} · m_{t+1} − V_t          (V after the last token = 0)
 *   A_t = (δ_t + γλ · A_{t+1}) · m_t                 (A_T = 0; A_{t+1} is already masked)
 *   R_t = (A_t + V_t) · m_t                          (returns, the value target)
 *
 * Masked positions are terminal: neither V_{t+1} nor A_{t+1} of a masked step flows back, so
 * a row whose mask ends early (or has leading prompt zeros) is handled. Outputs are 0 where
 * mask = 0. The JS loop is over T (a shape, <= a few hundred), never over data.
 * rewards, values, mask: [B,T]  ->  { advantages [B,T], returns [B,T] }.
 */
export function gae(rewards: tf.Tensor, values: tf.Tensor, mask: tf.Tensor, gamma: number, lambda: number): { advantages: tf.Tensor2D; returns: tf.Tensor2D } {
  return tf.tidy(() => {
    const T = rewards.shape[1] as number;
    const r = tf.unstack(rewards, 1); // T × [B]
    const v = tf.unstack(values, 1);
    const m = tf.unstack(tf.cast(mask, 'float32'), 1);
    const adv: tf.Tensor[] = new Array(T);
    let nextValue: tf.Tensor = tf.zerosLike(r[0]); // V_{t+1} · m_{t+1}
    let nextAdv: tf.Tensor = tf.zerosLike(r[0]); // A_{t+1} (masked)
    for (let t = T - 1; t >= 0; t--) {
      const delta = tf.sub(tf.add(r[t], tf.mul(nextValue, gamma)), v[t]);
      const a = tf.mul(tf.add(delta, tf.mul(nextAdv, gamma * lambda)), m[t]);
      adv[t] = a;
      nextAdv = a;
      nextValue = tf.mul(v[t], m[t]);
    }
    const advantages = tf.stack(adv, 1) as tf.Tensor2D;
    const returns = tf.mul(tf.add(advantages, values), mask) as tf.Tensor2D;
    return { advantages, returns };
  });
}

/**
 * Masked mean: sum(x · mask) / max(sum(mask), 1). Never NaN, 0 for an all-masked input.
 * Without `axis` it reduces everything to a scalar; with `axis` it reduces that axis only.
 * x, mask: same shape (or broadcastable).
 */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor, axis?: number): tf.Tensor {
  return tf.tidy(() => {
    const num = tf.sum(tf.mul(x, mask), axis);
    const den = tf.maximum(tf.sum(tf.mul(tf.onesLike(x), mask), axis), 1);
    return tf.div(num, den);
  });
}

/**
 * Whitening over the unmasked entries of the whole tensor (TRL `masked_whiten`):
 *
 *   n    = Σ mask,   μ = Σ x·mask / n
 *   var  = Σ ((x − μ)·mask)² / (n − 1)        ← UNBIASED (Bessel) variance, TRL's choice
 *                                              (OpenRLHF uses the biased /n one)
 *   out  = (x − μ) / sqrt(var + 1e-8)  [+ μ if shiftMean = false]   , then · mask
 *
 * Guards: n − 1 is floored at 1, so n = 1 gives out = 0 (x − μ = 0) and n = 0 gives 0.
 * x, mask: [B,T] (any shape)  ->  same shape, masked entries are 0.
 */
export function whiten(x: tf.Tensor, mask: tf.Tensor, shiftMean = true): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    const n = tf.sum(m);
    const mean = tf.div(tf.sum(tf.mul(x, m)), tf.maximum(n, 1));
    const centered = tf.sub(x, mean);
    const sq = tf.sum(tf.square(tf.mul(centered, m)));
    const variance = tf.div(sq, tf.maximum(tf.sub(n, 1), 1));
    let out = tf.div(centered, tf.sqrt(tf.add(variance, WHITEN_EPS)));
    if (!shiftMean) out = tf.add(out, mean);
    return tf.mul(out, m);
  });
}

/**
 * PPO clipped surrogate (Schulman et al. 2017; TRL `loss`):
 *
 *   ρ        = exp(logp − oldLogp)
 *   pg1      = −A · ρ,   pg2 = −A · clip(ρ, 1 − ε, 1 + ε)
 *   loss     = maskedMean(max(pg1, pg2))
 *   clipfrac = maskedMean([pg2 > pg1])
 *   approxKl = 0.5 · maskedMean((logp − oldLogp)²)
 *
 * logp (differentiable), oldLogp, advantages, mask: [B,T]  ->  scalars.
 */
export function ppoPolicyLoss(
  logp: tf.Tensor,
  oldLogp: tf.Tensor,
  advantages: tf.Tensor,
  mask: tf.Tensor,
  clip: number,
): { loss: tf.Scalar; clipfrac: tf.Scalar; approxKl: tf.Scalar } {
  return tf.tidy(() => {
    const logRatio = tf.sub(logp, oldLogp);
    const ratio = tf.exp(logRatio);
    const negA = tf.neg(advantages);
    const pg1 = tf.mul(negA, ratio);
    const pg2 = tf.mul(negA, tf.clipByValue(ratio, 1 - clip, 1 + clip));
    const loss = maskedMean(tf.maximum(pg1, pg2), mask) as tf.Scalar;
    const clipfrac = maskedMean(tf.cast(tf.greater(pg2, pg1), 'float32'), mask) as tf.Scalar;
    const approxKl = tf.mul(maskedMean(tf.square(logRatio), mask), 0.5) as tf.Scalar;
    return { loss, clipfrac, approxKl };
  });
}

/**
 * Clipped value loss (TRL):
 *
 *   v_clip   = clip(v, v_old − ε, v_old + ε)  = v_old + clip(v − v_old, −ε, ε)
 *   loss     = 0.5 · maskedMean(max((v − R)², (v_clip − R)²))
 *   clipfrac = maskedMean([(v_clip − R)² > (v − R)²])
 *
 * values (differentiable), oldValues, returns, mask: [B,T]  ->  scalars.
 */
export function valueLoss(
  values: tf.Tensor,
  oldValues: tf.Tensor,
  returns: tf.Tensor,
  mask: tf.Tensor,
  clip: number,
): { loss: tf.Scalar; clipfrac: tf.Scalar } {
  return tf.tidy(() => {
    const vClipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clip, clip));
    const sq1 = tf.square(tf.sub(values, returns));
    const sq2 = tf.square(tf.sub(vClipped, returns));
    const loss = tf.mul(maskedMean(tf.maximum(sq1, sq2), mask), 0.5) as tf.Scalar;
    const clipfrac = maskedMean(tf.cast(tf.greater(sq2, sq1), 'float32'), mask) as tf.Scalar;
    return { loss, clipfrac };
  });
}

/** Constant strict upper-triangular pair mask U[i,j] = [i < j], float32 [K,K]. */
function upperPairs(K: number): tf.Tensor2D {
  return tf.tidy(() => {
    const i = tf.reshape(tf.range(0, K, 1, 'int32'), [K, 1]);
    const j = tf.reshape(tf.range(0, K, 1, 'int32'), [1, K]);
    return tf.cast(tf.less(i, j), 'float32') as tf.Tensor2D;
  });
}

/**
 * InstructGPT reward-model loss (Ouyang et al. 2022, eq. 1). Each row holds the K scores of
 * one prompt's responses, ranked BEST FIRST. All C(K,2) pairs of a prompt are one element:
 *
 *   loss_p = −(1 / C(K,2)) · Σ_{i<j} log σ(s_pi − s_pj)
 *   loss   = (1/P) · Σ_p loss_p                    (C(K,2) divides exactly once)
 *
 * log σ(x) is computed as −softplus(−x) (numerically stable). The i<j pairs come from a
 * constant [K,K] upper-triangular mask over the [P,K,K] difference tensor.
 * scores: [P,K] with K >= 2 (differentiable)  ->  scalar.
 */
export function rankingLoss(scores: tf.Tensor): tf.Scalar {
  const K = scores.shape[1] as number;
  if (scores.rank !== 2 || K < 2) throw new Error(`rankingLoss: scores must be [P,K] with K >= 2, got [${scores.shape}]`);
  return tf.tidy(() => {
    const pairs = (K * (K - 1)) / 2;
    const diff = tf.sub(tf.expandDims(scores, 2), tf.expandDims(scores, 1)); // [P,K,K] s_i − s_j
    // log σ(x) = −softplus(−x): stable for large |x| and the Softplus kernel saves its input
    // for the backward pass. (tf.logSigmoid is a customGrad whose gradient closes over its
    // input; inside tf.tidy that input is disposed before tf.grad runs, so it crashes.)
    const logSig = tf.mul(tf.neg(tf.softplus(tf.neg(diff))), upperPairs(K)); // [P,K,K], only i<j kept
    const perPrompt = tf.div(tf.neg(tf.sum(logSig, [1, 2])), pairs); // [P]
    return tf.mean(perPrompt) as tf.Scalar;
  });
}

/**
 * Pairwise ranking accuracy of a reward model on ranked rows (best first):
 *
 *   acc = (1 / (P · C(K,2))) · Σ_p Σ_{i<j} ([s_pi > s_pj] + 0.5 · [s_pi = s_pj])
 *
 * scores: [P,K] with K >= 2  ->  scalar in [0,1].
 */
export function pairwiseAccuracy(scores: tf.Tensor): tf.Scalar {
  const [P, K] = rankedShape(scores, 'pairwiseAccuracy');
  return tf.tidy(() => tf.div(tf.sum(rightPairs(scores, K)), Math.max(P * ((K * (K - 1)) / 2), 1)) as tf.Scalar);
}

/** pairwiseAccuracy per ranked set: [P, K] scores → [P] (each set's share of its K(K−1)/2 pairs ordered right, ties ½). */
export function pairwiseAccuracyPerSet(scores: tf.Tensor): tf.Tensor1D {
  const [, K] = rankedShape(scores, 'pairwiseAccuracyPerSet');
  return tf.tidy(() => tf.div(tf.sum(rightPairs(scores, K), [1, 2]), (K * (K - 1)) / 2) as tf.Tensor1D);
}

function rankedShape(scores: tf.Tensor, name: string): [number, number] {
  const K = scores.shape[1] as number;
  if (scores.rank !== 2 || K < 2) throw new Error(`${name}: scores must be [P,K] with K >= 2, got [${scores.shape}]`);
  return [scores.shape[0] as number, K];
}

/** [P,K,K]: 1 where pair i<j is ordered as ranked (s_i > s_j), ½ on a tie, 0 otherwise and below the diagonal. */
function rightPairs(scores: tf.Tensor, K: number): tf.Tensor3D {
  const a = tf.expandDims(scores, 2);
  const b = tf.expandDims(scores, 1);
  const win = tf.add(tf.cast(tf.greater(a, b), 'float32'), tf.mul(tf.cast(tf.equal(a, b), 'float32'), 0.5));
  return tf.mul(win, upperPairs(K)) as tf.Tensor3D;
}

/**
 * Adaptive KL controller (Ziegler et al. 2019; TRL `AdaptiveKLController`), plain numbers:
 *
 *   e = clip(KL / target − 1, −0.2, 0.2)
 *   β ← β · (1 + e · n / horizon)          (n = steps, e.g. episodes in this batch)
 */
export function adaptiveKl(beta: number, kl: number, target: number, steps: number, horizon: number): number {
  const error = Math.min(Math.max(kl / target - 1, -0.2), 0.2);
  return beta * (1 + (error * steps) / horizon);
}

/**
 * Log-probability of each given token under softmax(logits / temperature):
 *
 *   out_bt = Σ_v logSoftmax(logits_bt / τ)_v · onehot(tokens_bt)_v
 *
 * The gather is a one-hot product (not tf.gather), so it has a gradient on every backend
 * (the wasm backend has no GatherV2 gradient).
 * logits: [B,T,V] (differentiable), tokens: [B,T] int (float is cast)  ->  [B,T].
 */
export function sequenceLogProbs(logits: tf.Tensor, tokens: tf.Tensor, temperature = 1): tf.Tensor2D {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1] as number;
    const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
    const logProbs = tf.logSoftmax(scaled, -1); // [B,T,V]
    const ids = tokens.dtype === 'int32' ? tokens : tf.cast(tokens, 'int32');
    const oneHot = tf.cast(tf.oneHot(ids as tf.Tensor, V), 'float32'); // [B,T,V]
    return tf.sum(tf.mul(logProbs, oneHot), -1) as tf.Tensor2D;
  });
}

/**
 * Entropy of softmax(logits / temperature) at each position:
 *
 *   H_bt = −Σ_v p_v · log p_v,   log p = logSoftmax(logits_bt / τ)
 *
 * logits: [B,T,V] (differentiable)  ->  [B,T].
 */
export function entropyFromLogits(logits: tf.Tensor, temperature = 1): tf.Tensor2D {
  return tf.tidy(() => {
    const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
    const logProbs = tf.logSoftmax(scaled, -1);
    return tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), -1)) as tf.Tensor2D;
  });
}
