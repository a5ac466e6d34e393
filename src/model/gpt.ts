import * as tf from '@tensorflow/tfjs';
import type { GPTConfig } from './config';
import { type Params, initialWeights, makeVariables, paramSpecs } from './params';
import { causalAttention } from '../kernels/attention';

/**
 * A GPT-2 style decoder, written top to bottom like nanoGPT's model.py:
 * token + learned position embeddings → nLayer × [x + attn(ln_1(x)); x + mlp(ln_2(x))] → ln_f → logits.
 * The unembedding is TIED to the token embedding (logits = h @ wteᵀ), as in GPT-2.
 *
 * Activations stay 2-D (B·T, C) around every weight matmul, so the gradient of a weight is one
 * matmul with no batch reduction; only attention works on (B, nh, T, hs).
 */

/** Key/value cache for one decoding run: per layer (B, nh, Tpast, hs). */
export interface KVCache {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
}

export interface ForwardOptions {
  /** (B, T) position ids; default 0..T-1 for every row. Needed for left-padded batches. */
  positions?: tf.Tensor2D;
  /** (B, Tk) 1 for real keys, 0 for pads (left-padded batches); Tk counts cached keys too. Default: all real. */
  keyValid?: tf.Tensor2D;
  /** when given, keys/values are appended to it (decoding); the caller owns the new tensors. */
  cache?: KVCache;
  training?: boolean;
  /** base seed for dropout masks in this forward pass */
  dropoutSeed?: number;
}

export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias) as tf.Tensor2D;
}

/** GPT-2's tanh approximation of GELU ("gelu_new"). */
export function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * One-hot rows as float32. tf.oneHot's own dtype argument is not honoured by the wasm backend
 * (it writes int32 bits into a float32 tensor), so build int32 and cast.
 */
export function oneHotF(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), 'float32');
}

function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D), b) as tf.Tensor2D;
}

let cloneCounter = 0;

export class GPT {
  constructor(
    readonly cfg: GPTConfig,
    readonly params: Params,
  ) {}

  static create(cfg: GPTConfig, seed: number): GPT {
    return new GPT(cfg, makeVariables(paramSpecs(cfg), initialWeights(cfg, seed)));
  }

  /** An independent copy (its own variables), e.g. the frozen SFT reference or the RM's backbone. */
  clone(trainable = true): GPT {
    const params: Params = new Map();
    let i = 0;
    const scope = `c${cloneCounter++}`;
    for (const [name, v] of this.params) params.set(name, tf.tidy(() => tf.variable(v.clone(), trainable, `${scope}/${i++}/${name}`)));
    return new GPT(this.cfg, params);
  }

  p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** tokens (B, T) int32 → final hidden states (B·T, C), after ln_f. */
  hidden(tokens: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor2D {
    const { cfg } = this;
    const [B, T] = tokens.shape;
    const C = cfg.dModel;
    let seed = opts.dropoutSeed ?? 0;
    const drop = (x: tf.Tensor2D) =>
      opts.training && cfg.dropout > 0 ? (tf.dropout(x, cfg.dropout, undefined, seed++) as tf.Tensor2D) : x;

    // Embeddings as one-hot matmuls: the wasm backend has no gradient for gather.
    const tok = tf.matMul(oneHotF(tokens.reshape([B * T]), cfg.vocabSize), this.p('wte.weight'));
    let pos: tf.Tensor;
    if (opts.positions) {
      pos = tf.matMul(oneHotF(opts.positions.reshape([B * T]), cfg.contextLength), this.p('wpe.weight'));
    } else {
      pos = tf.tile(tf.slice(this.p('wpe.weight'), [0, 0], [T, C]), [B, 1]); // (B·T, C)
    }
    let x = drop(tf.add(tok, pos) as tf.Tensor2D); // (B·T, C)

    for (let i = 0; i < cfg.nLayer; i++) {
      const h = `h.${i}`;
      const a = this.attention(layerNorm(x, this.p(`${h}.ln_1.weight`), this.p(`${h}.ln_1.bias`)), i, B, T, opts.keyValid, opts.cache);
      x = tf.add(x, drop(a));
      const m = linear(
        gelu(linear(layerNorm(x, this.p(`${h}.ln_2.weight`), this.p(`${h}.ln_2.bias`)), this.p(`${h}.mlp.c_fc.weight`), this.p(`${h}.mlp.c_fc.bias`))) as tf.Tensor2D,
        this.p(`${h}.mlp.c_proj.weight`),
        this.p(`${h}.mlp.c_proj.bias`),
      );
      x = tf.add(x, drop(m));
    }
    return layerNorm(x, this.p('ln_f.weight'), this.p('ln_f.bias'));
  }

  /** hidden (N, C) → logits (N, V) through the tied embedding. */
  unembed(hidden: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(hidden, this.p('wte.weight'), false, true);
  }

  /** tokens (B, T) → logits (B, T, V). */
  logits(tokens: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = tokens.shape;
    return this.unembed(this.hidden(tokens, opts)).reshape([B, T, this.cfg.vocabSize]);
  }

  /** Causal self-attention of layer i. x: (B·T, C) → (B·T, C). */
  private attention(x: tf.Tensor2D, i: number, B: number, T: number, keyValid?: tf.Tensor2D, cache?: KVCache): tf.Tensor2D {
    const { nHead, dModel: C } = this.cfg;
    const hs = C / nHead;
    const qkv = linear(x, this.p(`h.${i}.attn.c_attn.weight`), this.p(`h.${i}.attn.c_attn.bias`)); // (B·T, 3C)
    const heads = (t: tf.Tensor) => t.reshape([B, T, nHead, hs]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // (B, nh, T, hs)
    const [q, kNew, vNew] = tf.split(qkv, 3, 1).map(heads);
    let k = kNew;
    let v = vNew;
    if (cache) {
      // Append this step's keys/values. The cache tensors live outside any tidy (kept).
      if (cache.k[i]) {
        k = tf.concat([cache.k[i], kNew], 2);
        v = tf.concat([cache.v[i], vNew], 2);
      }
      cache.k[i] = tf.keep(k);
      cache.v[i] = tf.keep(v);
    }
    // Fused flash-style kernel on webgpu, composed tfjs ops elsewhere (src/kernels/attention.ts).
    const y = causalAttention(q, k, v, keyValid); // (B, nh, T, hs)
    const merged = y.transpose([0, 2, 1, 3]).reshape([B * T, C]) as tf.Tensor2D;
    return linear(merged, this.p(`h.${i}.attn.c_proj.weight`), this.p(`h.${i}.attn.c_proj.bias`));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

/**
 * Mean next-token cross-entropy over positions where mask = 1.
 * logits (N, V), targets (N) int32, mask (N) float → scalar.
 */
export function lmLoss(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logp, oneHotF(targets, logits.shape[1])), -1); // (N)
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}
