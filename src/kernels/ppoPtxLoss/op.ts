/**
 * Fused PPO-ptx loss (InstructGPT §3.5; the formulas in shared/rlhf-reference.md):
 *
 *   RL rows (B,T):   x = logits / τ,  logp = logSoftmax(x)[action],  ρ = exp(logp − oldLogp)
 *                    policyLoss = maskedMean(max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)), mask)
 *                    clipfrac   = maskedMean([clipped term > unclipped term], mask)
 *                    approxKl   = 0.5 · maskedMean((logp − oldLogp)², mask)
 *                    entropy    = maskedMean(H(softmax(x)), mask)
 *   ptx rows (Bp,Tp): ptxLoss   = maskedMean(−logSoftmax(ptxLogits)[target], ptxMask)   (τ = 1)
 *   loss = policyLoss + ptxCoef · ptxLoss          (masked means divide by max(Σ mask, 1))
 *
 * Two implementations with one contract:
 * - `ppoPtxLossReference`: plain tfjs ops (math.ts), runs on every backend.
 * - the `PpoPtxLoss` kernel on webgpu (programs.ts): three WGSL passes (fwd, reduce, bwd .wgsl)
 *     fwd     per row: online max / sum-exp / entropy over V (a workgroup reduction over the
 *             row's threads), writes 8 numbers per row          → (rows, 8), RL and ptx
 *     reduce  one workgroup: the 8 numbers of every row → [loss, policyLoss, ptxLoss,
 *             clipfrac, approxKl, entropy, 1/n, 1/np]
 *     bwd     per row: writes d(logits) = scaled (softmax − onehot) (+ the entropy term)
 *   Nothing of size (rows, V) exists but d(logits) itself. Threads per row depend on the
 *   adapter (see layoutsFor): 32..256 on GPUs, 1 on CPU implementations like SwiftShader.
 * `ppoPtxLoss` picks the kernel on webgpu when tuning.fusedKernels, the reference otherwise.
 *
 * Gradients: with respect to `logits` and `ptxLogits` (the other inputs are rollout data).
 * loss, policyLoss, ptxLoss, approxKl and entropy are differentiable; clipfrac is piecewise
 * constant (gradient 0 on the fused path; the reference has no gradient for it at all).
 */
import * as tf from '@tensorflow/tfjs';
import { maskedMean, ppoPolicyLoss } from '../../rlhf/math';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { PPO_PTX_LOSS, rowBackward, type Attrs } from './programs';

export interface PpoPtxLossInputs {
  /** (B, T, V) policy logits of the rollout tokens */
  logits: tf.Tensor;
  /** (B, T) int32 sampled tokens (float is cast) */
  actions: tf.Tensor;
  /** (B, T) log-probs of the actions at rollout time (same temperature) */
  oldLogp: tf.Tensor;
  /** (B, T) advantages (whitened or not) */
  advantages: tf.Tensor;
  /** (B, T) 1 on response tokens */
  mask: tf.Tensor;
  /** (Bp, Tp, V) policy logits on the pretraining batch */
  ptxLogits: tf.Tensor;
  /** (Bp, Tp) int32 next tokens of the pretraining batch */
  ptxTargets: tf.Tensor;
  /** (Bp, Tp) 1 on tokens that count */
  ptxMask: tf.Tensor;
}

export interface PpoPtxLossOptions {
  /** ε of the clipped surrogate (0.2 in the paper) */
  clip: number;
  /** γ of PPO-ptx (27.8 in the paper; 0 is plain PPO) */
  ptxCoef: number;
  /** sampling temperature the rollouts used (RL rows only; ptx rows use 1) */
  temperature: number;
}

export interface PpoPtxLossOutputs {
  loss: tf.Scalar;
  policyLoss: tf.Scalar;
  ptxLoss: tf.Scalar;
  clipfrac: tf.Scalar;
  approxKl: tf.Scalar;
  entropy: tf.Scalar;
}

const INPUT_NAMES = ['logits', 'actions', 'oldLogp', 'advantages', 'mask', 'ptxLogits', 'ptxTargets', 'ptxMask'] as const;
const OUTPUT_NAMES = ['loss', 'policyLoss', 'ptxLoss', 'clipfrac', 'approxKl', 'entropy'] as const;

/** Fused on webgpu (when enabled), composed reference elsewhere. Scalars, caller disposes. */
export function ppoPtxLoss(inputs: PpoPtxLossInputs, options: PpoPtxLossOptions): PpoPtxLossOutputs {
  return onWebGPU() && tuning.fusedKernels ? ppoPtxLossFused(inputs, options) : ppoPtxLossReference(inputs, options);
}

// ---------------------------------------------------------------------------------------------
// Composed reference (every backend)

/**
 * log p of the given tokens and the entropy, from ONE logSoftmax of logits / τ.
 * The gather is a one-hot product (wasm has no gather gradient).
 * logits (…, V), tokens (…) int  ->  { logp (…), entropy (…) }.
 */
function tokenLogProbs(logits: tf.Tensor, tokens: tf.Tensor, temperature: number, withEntropy: boolean): { logp: tf.Tensor; entropy: tf.Tensor | null } {
  const V = logits.shape[logits.rank - 1] as number;
  const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
  const logProbs = tf.logSoftmax(scaled, -1); // (…, V)
  const oneHot = tf.cast(tf.oneHot(toInt(tokens), V), 'float32'); // (…, V)
  const logp = tf.sum(tf.mul(logProbs, oneHot), -1);
  const entropy = withEntropy ? tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), -1)) : null;
  return { logp, entropy };
}

export function ppoPtxLossReference(inputs: PpoPtxLossInputs, options: PpoPtxLossOptions): PpoPtxLossOutputs {
  validate(inputs, options);
  const { logits, actions, oldLogp, advantages, mask, ptxLogits, ptxTargets, ptxMask } = inputs;
  return tf.tidy(() => {
    const { logp, entropy } = tokenLogProbs(logits, actions, options.temperature, true);
    const policy = ppoPolicyLoss(logp, oldLogp, advantages, mask, options.clip);
    const ptxLogp = tokenLogProbs(ptxLogits, ptxTargets, 1, false).logp;
    const ptxLoss = maskedMean(tf.neg(ptxLogp), ptxMask) as tf.Scalar;
    return {
      loss: tf.add(policy.loss, tf.mul(ptxLoss, options.ptxCoef)) as tf.Scalar,
      policyLoss: policy.loss,
      ptxLoss,
      clipfrac: policy.clipfrac,
      approxKl: policy.approxKl,
      entropy: maskedMean(entropy!, mask) as tf.Scalar,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Fused kernel (webgpu): the kernel is in programs.ts, its gradient here

export const ppoPtxLossGradConfig: tf.GradConfig = {
  kernelName: PPO_PTX_LOSS,
  inputsToSave: ['logits', 'actions', 'ptxLogits', 'ptxTargets'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [logits, actions, ptxLogits, ptxTargets, stats, rl, px] = saved;
    const dy = (dys as tf.Tensor[])[0]; // (8): only the stats output carries gradients
    const a = attrs as unknown as Attrs;
    return {
      logits: () => rowBackward(logits, actions, rl, stats, dy, false, a),
      ptxLogits: () => rowBackward(ptxLogits, ptxTargets, px, stats, dy, true, a),
    };
  },
};

/** The fused path, callable directly (tests, the benchmark). Requires the webgpu backend. */
export function ppoPtxLossFused(inputs: PpoPtxLossInputs, options: PpoPtxLossOptions): PpoPtxLossOutputs {
  if (!onWebGPU()) throw new Error(`ppoPtxLossFused needs the webgpu backend (active: ${tf.getBackend()})`);
  validate(inputs, options);
  // The shaders read tokens as i32 and everything else as f32: cast what arrives otherwise.
  const given = inputs as unknown as Record<string, tf.Tensor>;
  const kernelInputs: tf.NamedTensorMap = {};
  for (const name of INPUT_NAMES) {
    const dtype = name === 'actions' || name === 'ptxTargets' ? 'int32' : 'float32';
    kernelInputs[name] = given[name].dtype === dtype ? given[name] : tf.cast(given[name], dtype);
  }
  const attrs: Attrs = { clip: options.clip, ptxCoef: options.ptxCoef, temperature: options.temperature };
  const [stats, rl, px] = tf.engine().runKernel(PPO_PTX_LOSS, kernelInputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const out = {} as Record<(typeof OUTPUT_NAMES)[number], tf.Scalar>;
  OUTPUT_NAMES.forEach((name, i) => {
    out[name] = tf.tidy(() => tf.reshape(tf.slice(stats, [i], [1]), []) as tf.Scalar);
  });
  tf.dispose([stats, rl, px]);
  for (const [name, t] of Object.entries(kernelInputs)) if (t !== given[name]) t.dispose();
  return out;
}

function toInt(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'int32' ? t : tf.cast(t, 'int32');
}

function validate(inputs: PpoPtxLossInputs, options: PpoPtxLossOptions): void {
  const { logits, actions, oldLogp, advantages, mask, ptxLogits, ptxTargets, ptxMask } = inputs;
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`ppoPtxLoss: ${what}`);
  };
  check(logits.rank >= 2 && ptxLogits.rank >= 2, `logits must be (B, T, V), got [${logits.shape}] and ptx [${ptxLogits.shape}]`);
  const rowShape = logits.shape.slice(0, -1);
  for (const [name, t] of [
    ['actions', actions],
    ['oldLogp', oldLogp],
    ['advantages', advantages],
    ['mask', mask],
  ] as const) {
    check(same(t.shape, rowShape), `${name} must be [${rowShape}], got [${t.shape}]`);
  }
  const ptxRowShape = ptxLogits.shape.slice(0, -1);
  check(same(ptxTargets.shape, ptxRowShape) && same(ptxMask.shape, ptxRowShape), `ptxTargets and ptxMask must be [${ptxRowShape}]`);
  check(logits.size > 0 && ptxLogits.size > 0, 'empty batch (pass a fully masked ptx batch for plain PPO)');
  check(options.temperature > 0 && options.clip >= 0, `temperature > 0 and clip >= 0 required, got ${options.temperature}, ${options.clip}`);
}
