import * as tf from '@tensorflow/tfjs';
import type { GPT } from './gpt';
import { layerNorm } from './gpt';
import { linear, matmulNT } from '../kernels/linear';
import { embed } from '../kernels/embedding';
import { allocCache, cachedAttention, decodeEmbed, kvWrite, type CacheDims } from '../kernels/decode';
import { onWebGPU } from '../kernels/runProgram';
import { fusedKernelsEnabled } from '../kernels/settings';

/**
 * KV-cache decoding on webgpu: the forward pass of GPT.hidden + unembed, specialised for
 * generation and built from the decode kernels (src/kernels/decode.ts):
 *
 *   - ONE preallocated cache (L, 2, B, nh, Tmax = contextLength, hs), written in place: the
 *     prefill writes positions 0..P−1, each decode step writes its own position t;
 *   - attention reads the cache directly (one thread per row × head × query), left pads masked
 *     by the row's pad count, output in the merged layout;
 *   - the prefill computes the last layer's attention, MLP, ln_f and unembedding for the LAST
 *     position only (the only one generation needs; the cache needs every position's keys and
 *     values, which come from ln_1 and c_attn, before that).
 *
 * The math is GPT.hidden's (same parameters, same kernels for LayerNorm, dense layers and the
 * unembedding); tests/gpu/generate.test.ts checks its logits against GPT.logits and its greedy
 * tokens against full recomputation. Everything else (other backends, fused kernels off) uses
 * GPT.hidden with a tf.concat cache (generate.ts).
 */

let forced: boolean | null = null;

/** Tests and the benchmark: force the decoder on (true), off (false: GPT.hidden + tf.concat) or automatic (null). */
export function setKVDecoder(on: boolean | null): void {
  forced = on;
}

/** Whether generate() uses KVDecoder for this model right now. */
export function kvDecoderActive(model: GPT): boolean {
  const hs = model.cfg.dModel / model.cfg.nHead;
  const available = onWebGPU() && fusedKernelsEnabled() && hs % 4 === 0;
  return available && (forced ?? true);
}

export class KVDecoder {
  readonly dims: CacheDims;
  private readonly cache: tf.Tensor;
  readonly pads: tf.Tensor1D;

  /** pads[b]: left pads of row b (its first real token sits at position pads[b]). */
  constructor(
    private readonly model: GPT,
    readonly padCounts: number[],
  ) {
    const { cfg } = model;
    this.dims = { L: cfg.nLayer, B: padCounts.length, nh: cfg.nHead, hs: cfg.dModel / cfg.nHead, Tmax: cfg.contextLength };
    this.cache = allocCache(this.dims);
    this.pads = tf.tensor1d(padCounts, 'int32');
  }

  private p(name: string): tf.Tensor {
    return this.model.p(name);
  }

  /**
   * tokens (B, P) left-padded prompts → logits (B, V) of the last position; fills cache
   * positions 0..P−1.
   */
  prefill(tokens: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const { cfg } = this.model;
      const [B, P] = tokens.shape;
      const C = cfg.dModel;
      const pos = new Int32Array(B * P);
      this.padCounts.forEach((pad, b) => {
        for (let j = 0; j < P; j++) pos[b * P + j] = Math.max(0, j - pad);
      });
      let x = embed(tokens, this.p('wte.weight') as tf.Tensor2D, this.p('wpe.weight') as tf.Tensor2D, tf.tensor2d(pos, [B, P], 'int32')); // (B·P, C)
      for (let i = 0; i < cfg.nLayer; i++) {
        const h = `h.${i}`;
        const last = i === cfg.nLayer - 1;
        const qkv = linear(layerNorm(x, this.p(`${h}.ln_1.weight`), this.p(`${h}.ln_1.bias`)), this.w(`${h}.attn.c_attn.weight`), this.b(`${h}.attn.c_attn.bias`));
        kvWrite(qkv, this.cache, this.dims, i, P, 0);
        // last layer: only the last position goes on (the cache has every position's keys/values)
        const y = cachedAttention(qkv, this.cache, this.pads, this.dims, i, P, 0, last ? P - 1 : 0) as tf.Tensor2D;
        if (last) x = tf.reshape(x, [B, P, C]).slice([0, P - 1, 0], [B, 1, C]).reshape([B, C]) as tf.Tensor2D;
        x = this.block(x, y, i);
      }
      return this.unembed(x);
    });
  }

  /**
   * One new token per row at position t (tokens[b·stride + offset], int32) → logits (B, V);
   * writes cache position t.
   */
  step(tokens: tf.Tensor, t: number, stride = 1, offset = 0): tf.Tensor2D {
    return tf.tidy(() => {
      const { cfg } = this.model;
      const B = this.dims.B;
      let x = decodeEmbed(tokens, this.pads, this.p('wte.weight'), this.p('wpe.weight'), B, t, stride, offset) as tf.Tensor2D;
      for (let i = 0; i < cfg.nLayer; i++) {
        const h = `h.${i}`;
        const qkv = linear(layerNorm(x, this.p(`${h}.ln_1.weight`), this.p(`${h}.ln_1.bias`)), this.w(`${h}.attn.c_attn.weight`), this.b(`${h}.attn.c_attn.bias`));
        kvWrite(qkv, this.cache, this.dims, i, 1, t);
        const y = cachedAttention(qkv, this.cache, this.pads, this.dims, i, 1, t, 0) as tf.Tensor2D;
        x = this.block(x, y, i);
      }
      return this.unembed(x);
    });
  }

  /** The rest of block i after attention: x + c_proj(y), then the MLP with its residual. */
  private block(x: tf.Tensor2D, y: tf.Tensor2D, i: number): tf.Tensor2D {
    const h = `h.${i}`;
    x = tf.add(x, linear(y, this.w(`${h}.attn.c_proj.weight`), this.b(`${h}.attn.c_proj.bias`)));
    const m = linear(
      linear(layerNorm(x, this.p(`${h}.ln_2.weight`), this.p(`${h}.ln_2.bias`)), this.w(`${h}.mlp.c_fc.weight`), this.b(`${h}.mlp.c_fc.bias`), 'gelu'),
      this.w(`${h}.mlp.c_proj.weight`),
      this.b(`${h}.mlp.c_proj.bias`),
    );
    return tf.add(x, m);
  }

  private unembed(x: tf.Tensor2D): tf.Tensor2D {
    return matmulNT(layerNorm(x, this.p('ln_f.weight'), this.p('ln_f.bias')), this.p('wte.weight') as tf.Tensor2D);
  }

  private w(name: string): tf.Tensor2D {
    return this.p(name) as tf.Tensor2D;
  }

  private b(name: string): tf.Tensor1D {
    return this.p(name) as tf.Tensor1D;
  }

  dispose(): void {
    this.cache.dispose();
    this.pads.dispose();
  }
}
