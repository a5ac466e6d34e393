import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { oneHotF } from '../kernels/embedding/op';
import { onWebGPU } from '../kernels/shared/runProgram';
import { BOS, EOS, PAD, encode } from '../model/tokenizer';
import { maskBanned } from '../model/bannedTokens';

/**
 * The one layout every RLHF stage uses (SFT, reward model, PPO), fixed per task so every batch of
 * a stage has the same shape (tfjs-webgpu pools buffers by exact size: fixed shapes keep GPU memory
 * flat and compile each pipeline once):
 *
 *   [pad … pad BOS p r o m p t | r e s p o n s e EOS pad … pad]
 *    ←────────── P ───────────→ ←─────────── R ──────────────→
 *
 * Prompts are LEFT-padded to P (so the response always starts at column P), responses are
 * right-padded to R. Positions restart at 0 on each row's BOS, exactly as in generation, so a
 * model sees the same thing when it samples and when it is trained or scored.
 * The logits that predict the response come from columns P-1 … P+R-2.
 */
export interface SequenceLayout {
  P: number; // prompt columns, including BOS
  R: number; // response columns, including EOS
}

export interface SequenceBatch {
  N: number;
  layout: SequenceLayout;
  tokens: Int32Array; // (N, P+R)
  positions: Int32Array; // (N, P+R)
  keyValid: Float32Array; // (N, P+R) 1 for real tokens
  actions: Int32Array; // (N, R) the response tokens (PAD after the end)
  actionMask: Float32Array; // (N, R) 1 for response tokens including EOS
  lastIndex: Int32Array; // (N) column of the last real token (the EOS, or the last token if cut off)
  responseLength: Int32Array; // (N) response tokens including EOS
}

export function layoutFor(maxPromptChars: number, maxResponseTokens: number): SequenceLayout {
  return { P: maxPromptChars + 1, R: maxResponseTokens };
}

/**
 * Builds a batch from prompts and responses. A response is text (EOS appended) or token ids
 * (used as generated: with EOS when the model stopped, without when it ran out of room).
 */
export function buildSequences(layout: SequenceLayout, prompts: string[], responses: (string | number[])[]): SequenceBatch {
  const { P, R } = layout;
  const L = P + R;
  const N = prompts.length;
  const b: SequenceBatch = {
    N,
    layout,
    tokens: new Int32Array(N * L).fill(PAD),
    positions: new Int32Array(N * L),
    keyValid: new Float32Array(N * L),
    actions: new Int32Array(N * R).fill(PAD),
    actionMask: new Float32Array(N * R),
    lastIndex: new Int32Array(N),
    responseLength: new Int32Array(N),
  };
  for (let n = 0; n < N; n++) {
    const prompt = [BOS, ...encode(prompts[n])].slice(-P);
    const r = responses[n];
    const response = (typeof r === 'string' ? [...encode(r), EOS] : r).slice(0, R);
    const pad = P - prompt.length;
    const row = n * L;
    b.tokens.set(prompt, row + pad);
    b.tokens.set(response, row + P);
    for (let j = pad; j < P + response.length; j++) {
      b.positions[row + j] = j - pad;
      b.keyValid[row + j] = 1;
    }
    b.actions.set(response, n * R);
    b.actionMask.fill(1, n * R, n * R + response.length);
    b.lastIndex[n] = P + response.length - 1;
    b.responseLength[n] = response.length;
  }
  return b;
}

/** The given rows of a batch, as a new batch (minibatches, shuffles). */
export function sliceSequences(b: SequenceBatch, rows: number[]): SequenceBatch {
  const { P, R } = b.layout;
  const L = P + R;
  const pick = <A extends Int32Array | Float32Array>(src: A, width: number): A => {
    const out = new (src.constructor as { new (n: number): A })(rows.length * width);
    rows.forEach((r, i) => out.set(src.subarray(r * width, (r + 1) * width), i * width));
    return out;
  };
  return {
    N: rows.length,
    layout: b.layout,
    tokens: pick(b.tokens, L),
    positions: pick(b.positions, L),
    keyValid: pick(b.keyValid, L),
    actions: pick(b.actions, R),
    actionMask: pick(b.actionMask, R),
    lastIndex: pick(b.lastIndex, 1),
    responseLength: pick(b.responseLength, 1),
  };
}

/** Final hidden states of the whole batch: (N, P+R, C). Call inside tidy. */
export function sequenceHidden(model: GPT, b: SequenceBatch, training = false, dropoutSeed = 0): tf.Tensor3D {
  const L = b.layout.P + b.layout.R;
  const tokens = tf.tensor2d(b.tokens, [b.N, L], 'int32');
  const positions = tf.tensor2d(b.positions, [b.N, L], 'int32');
  const keyValid = tf.tensor2d(b.keyValid, [b.N, L]);
  return model.hidden(tokens, { positions, keyValid, training, dropoutSeed }).reshape([b.N, L, model.cfg.dModel]);
}

/** The hidden states that predict the response tokens: columns P-1 … P+R-2 → (N·R, C). */
export function responseHidden(hidden: tf.Tensor3D, layout: SequenceLayout): tf.Tensor2D {
  const [N, , C] = hidden.shape;
  return hidden.slice([0, layout.P - 1, 0], [N, layout.R, C]).reshape([N * layout.R, C]);
}

/** Logits for the response tokens: (N, R, V). Call inside tidy. */
function responseLogits(model: GPT, b: SequenceBatch, training = false, dropoutSeed = 0): tf.Tensor3D {
  const h = responseHidden(sequenceHidden(model, b, training, dropoutSeed), b.layout);
  return model.unembed(h).reshape([b.N, b.layout.R, model.cfg.vocabSize]);
}

/**
 * Logits of the policy's sampling distribution for the response tokens: (N, R, V), with the
 * banned ids at BANNED_LOGIT. Use these for any log-prob of a sampled action. Call inside tidy.
 */
export function policyLogits(model: GPT, b: SequenceBatch, training = false, dropoutSeed = 0): tf.Tensor3D {
  return maskBanned(responseLogits(model, b, training, dropoutSeed));
}

/**
 * The hidden state at each row's last real token: (N, C). On webgpu a gather of the rows
 * n·L + lastIndex[n] of the flattened (N·L, C) states (its gradient a scatter of N rows), not a
 * one-hot product over the whole (N, L, C) block (BENCHMARKS.md). Elsewhere the one-hot product:
 * the wasm backend has no gradient for gather. Both give the same numbers (a pick; ×1 and +0 are exact).
 */
export function lastHidden(hidden: tf.Tensor3D, b: SequenceBatch): tf.Tensor2D {
  const L = b.layout.P + b.layout.R;
  const C = hidden.shape[2];
  if (onWebGPU()) {
    const rows = tf.tensor1d(
      Int32Array.from(b.lastIndex, (j, n) => n * L + j),
      'int32',
    );
    return tf.gather(hidden.reshape([b.N * L, C]), rows) as tf.Tensor2D;
  }
  const pick = oneHotF(tf.tensor1d(b.lastIndex, 'int32'), L).reshape([b.N, L, 1]);
  return tf.sum(tf.mul(hidden, pick), 1) as tf.Tensor2D;
}
