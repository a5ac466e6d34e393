import * as tf from '@tensorflow/tfjs';
import type { GPTConfig } from './config';
import { type Params, initialWeights, makeVariables, paramSpecs } from './params';
import { causalAttention } from '../kernels/attention/op';
import { linear, matmulNT, mlp } from '../kernels/linear/op';
import { layerNorm } from '../kernels/layerNorm/op';
import { embed } from '../kernels/embedding/op';
import { mergeHeads, splitHeads } from '../kernels/heads/op';
import { rowAttention, rowAttentionActive } from '../kernels/rowAttention/op';

/**
 * A GPT-2 style decoder, written top to bottom like nanoGPT's model.py:
 * token + learned position embeddings → nLayer × [x + attn(ln_1(x)); x + mlp(ln_2(x))] → ln_f → logits.
 * The unembedding is TIED to the token embedding (logits = h @ wteᵀ), as in GPT-2.
 *
 * Activations stay 2-D (B·T, C) around every weight matmul, so the gradient of a weight is one
 * matmul with no batch reduction; only attention works on (B, nh, T, hs).
 *
 * On webgpu every piece runs on custom kernels with their own gradients (src/kernels: embedding,
 * layerNorm, linear and the MLP (GELU in the matmuls), heads, attention / rowAttention, crossEntropy; AdamW in optim.ts),
 * designed for few dispatches and no workgroup barriers; with tuning.fusedKernels off, and on every
 * other backend, the same math runs as plain tfjs ops (the references the parity tests use).
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
    for (const [name, v] of this.params)
      params.set(
        name,
        tf.tidy(() => tf.variable(v.clone(), trainable, `${scope}/${i++}/${name}`)),
      );
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
    let seed = opts.dropoutSeed ?? 0;
    const drop = (x: tf.Tensor2D) => (opts.training && cfg.dropout > 0 ? (tf.dropout(x, cfg.dropout, undefined, seed++) as tf.Tensor2D) : x);

    // Gather + scatter-add kernels on webgpu; one-hot matmuls elsewhere (wasm has no gather gradient).
    let x = drop(embed(tokens, this.p('wte.weight') as tf.Tensor2D, this.p('wpe.weight') as tf.Tensor2D, opts.positions)); // (B·T, C)
    for (let i = 0; i < cfg.nLayer; i++) x = this.block(x, i, tokens.shape, opts, drop);
    return this.ln(x, 'ln_f');
  }

  /**
   * Transformer block i: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)). x: (B·T, C). Without dropout the
   * residual is added in the store of each branch's last matmul (the same sum, one pass less).
   */
  private block(x: tf.Tensor2D, i: number, [B, T]: number[], opts: ForwardOptions, drop: (x: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    const fuse = !(opts.training && this.cfg.dropout > 0);
    const a = this.attention(this.ln(x, `h.${i}.ln_1`), i, B, T, opts.keyValid, opts.cache, fuse ? x : undefined);
    x = fuse ? a : tf.add(x, drop(a));
    return fuse ? this.mlp(this.ln(x, `h.${i}.ln_2`), i, x) : tf.add(x, drop(this.mlp(this.ln(x, `h.${i}.ln_2`), i)));
  }

  /**
   * The MLP of block i: gelu(x W_fc + b) W_proj + b [+ residual]. x: (N, C) → (N, C); one op, GELU in the
   * matmuls' epilogues.
   */
  mlp(x: tf.Tensor2D, i: number, residual?: tf.Tensor2D): tf.Tensor2D {
    const p = (name: string) => this.p(`h.${i}.mlp.${name}`);
    return mlp(x, p('c_fc.weight') as tf.Tensor2D, p('c_fc.bias') as tf.Tensor1D, p('c_proj.weight') as tf.Tensor2D, p('c_proj.bias') as tf.Tensor1D, residual);
  }

  /** LayerNorm `name` (its .weight and .bias) over the last axis of x (N, C). */
  ln(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return layerNorm(x, this.p(`${name}.weight`), this.p(`${name}.bias`));
  }

  /** x @ W + b [+ residual] for the dense layer `name` (its .weight (in, out) and .bias). */
  private dense(x: tf.Tensor2D, name: string, residual?: tf.Tensor2D): tf.Tensor2D {
    return linear(x, this.p(`${name}.weight`) as tf.Tensor2D, this.p(`${name}.bias`) as tf.Tensor1D, 'none', residual);
  }

  /** hidden (N, C) → logits (N, V) through the tied embedding. */
  unembed(hidden: tf.Tensor2D): tf.Tensor2D {
    return matmulNT(hidden, this.p('wte.weight') as tf.Tensor2D);
  }

  /** tokens (B, T) → logits (B, T, V). */
  logits(tokens: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = tokens.shape;
    return this.unembed(this.hidden(tokens, opts)).reshape([B, T, this.cfg.vocabSize]);
  }

  /** Causal self-attention of layer i [+ residual]. x: (B·T, C) → (B·T, C). */
  private attention(x: tf.Tensor2D, i: number, B: number, T: number, keyValid?: tf.Tensor2D, cache?: KVCache, residual?: tf.Tensor2D): tf.Tensor2D {
    const { nHead } = this.cfg;
    const qkv = this.dense(x, `h.${i}.attn.c_attn`); // (B·T, 3C)
    const [q, kNew, vNew] = splitHeads(qkv, B, T, nHead); // (B, nh, T, hs) each
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
    // Training shape (no cache, left padding or none) on a CPU adapter: one-thread-per-row kernels
    // (src/kernels/rowAttention.ts).
    const rows = !cache && rowAttentionActive(q.shape[3]);
    const y = rows ? rowAttention(q, k, v, keyValid) : causalAttention(q, k, v, keyValid); // (B, nh, T, hs)
    const merged = mergeHeads(y); // (B·T, C)
    return this.dense(merged, `h.${i}.attn.c_proj`, residual);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
