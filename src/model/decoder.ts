import * as tf from '@tensorflow/tfjs';
import type { GPT } from './gpt';
import { allocCache, cachedAttention, decodeEmbed, decodeLayerNorm, decodeMatmul, type CacheDims, type CacheRows } from '../kernels/decode/op';
import { onWebGPU } from '../kernels/shared/runProgram';
import { tuning } from '../kernels/tuning';

/**
 * KV-cache decoding on webgpu: the forward pass of GPT.hidden + unembed, specialised for
 * generation and built from the decode kernels (src/kernels/decode/op.ts):
 *
 *   - ONE preallocated cache of the c_attn rows (q | k | v) of every position,
 *     (L, B, Tmax = contextLength, 3C); c_attn writes its rows straight into it (in place): the
 *     prefill positions 0..P−1, each decode step its own position t. No copy of the past.
 *   - attention reads the cache directly (one thread per row × head × query), left pads masked
 *     by the row's pad count, output in the merged layout (no head split/merge);
 *   - every dense layer is one barrier-free dispatch with its bias, GELU or residual add fused
 *     (8 × 8 register blocks: few, fat threads are fastest on SwiftShader); LayerNorm is one
 *     thread per row; a decode step is 13 dispatches for 2 layers (the tf.concat path: ~38);
 *   - the prefill computes the last layer's attention, MLP, ln_f and unembedding for the LAST
 *     position only (the only one generation needs; the cache needs every position's keys and
 *     values, which come from ln_1 and c_attn, before that).
 *
 * The math is GPT.hidden's; tests/gpu/generate.test.ts checks the logits against GPT.logits at
 * every step and the greedy tokens against full recomputation. Other backends, and webgpu with
 * the fused kernels off, use GPT.hidden with a tf.concat cache (generate.ts).
 */

/** Whether generate() uses KVDecoder for this model right now. */
export function kvDecoderActive(model: GPT): boolean {
  const { dModel, nHead, vocabSize, mlpRatio } = model.cfg;
  const hs = dModel / nHead;
  // every row is read as vec4s: head size, widths and the vocabulary in multiples of 4
  const available = onWebGPU() && tuning.fusedKernels && hs % 4 === 0 && vocabSize % 4 === 0 && (mlpRatio * dModel) % 4 === 0;
  return available && (tuning.kvDecoder ?? true);
}

// LayerNorm runs as its own kernel before each matmul: recomputing it inside the matmul (every
// column block) was slower (BENCHMARKS.md, "Measurements behind the kernels' choices").

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
   * tokens (B, P) left-padded prompts (int32) → logits (B, V) of the last position; fills cache
   * positions 0..P−1.
   */
  prefill(tokens: tf.Tensor2D): tf.Tensor2D {
    return this.forward(tokens, tokens.shape[1], 0, 1, 0);
  }

  /**
   * One new token per row at position t (tokens[b·stride + offset], int32) → logits (B, V);
   * writes cache position t.
   */
  step(tokens: tf.Tensor, t: number, stride = 1, offset = 0): tf.Tensor2D {
    return this.forward(tokens, 1, t, stride, offset);
  }

  /** T tokens per row at positions t0..t0+T−1 → logits (B, V) of the last one. */
  private forward(tokens: tf.Tensor, T: number, t0: number, stride: number, offset: number): tf.Tensor2D {
    return tf.tidy(() => {
      const { cfg } = this.model;
      const { B } = this.dims;
      const C = cfg.dModel;
      let x = decodeEmbed(tokens, this.pads, this.p('wte.weight'), this.p('wpe.weight'), B, T, t0, stride, offset); // (B·T, C)
      for (let i = 0; i < cfg.nLayer; i++) {
        const h = `h.${i}`;
        const last = i === cfg.nLayer - 1;
        this.dense(x, `${h}.attn.c_attn`, `${h}.ln_1`, 'none', undefined, { cache: this.cache, dims: this.dims, layer: i, T, t0 });
        // last layer: only the last position goes on (the cache has every position's q, k, v)
        const y = cachedAttention(this.cache, this.pads, this.dims, i, T, t0, last ? T - 1 : 0);
        if (last && T > 1)
          x = tf
            .reshape(x, [B, T, C])
            .slice([0, T - 1, 0], [B, 1, C])
            .reshape([B, C]);
        x = this.dense(y, `${h}.attn.c_proj`, undefined, 'none', x);
        const u = this.dense(x, `${h}.mlp.c_fc`, `${h}.ln_2`, 'gelu');
        x = this.dense(u, `${h}.mlp.c_proj`, undefined, 'none', x);
      }
      const hf = decodeLayerNorm(x, this.p('ln_f.weight'), this.p('ln_f.bias'));
      return decodeMatmul(hf, this.p('wte.weight'), { transB: true }) as tf.Tensor2D;
    });
  }

  /** act(LN?(x)·W + b) [+ residual] for the layer `name` (its .weight and .bias); LN by its own kernel. */
  private dense(x: tf.Tensor, name: string, ln: string | undefined, act: 'none' | 'gelu', residual?: tf.Tensor, into?: CacheRows): tf.Tensor {
    const input = ln ? decodeLayerNorm(x, this.p(`${ln}.weight`), this.p(`${ln}.bias`)) : x;
    return decodeMatmul(input, this.p(`${name}.weight`), { bias: this.p(`${name}.bias`), act, residual, into });
  }

  dispose(): void {
    this.cache.dispose();
    this.pads.dispose();
  }
}
