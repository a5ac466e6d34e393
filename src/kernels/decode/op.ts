import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import cachedAttentionSource from '../../../shaders/decode/cached_attention.wgsl?raw';
import embedSource from '../../../shaders/decode/embed.wgsl?raw';
import layerNormSource from '../../../shaders/decode/layer_norm.wgsl?raw';
import sampleSource from '../../../shaders/decode/sample.wgsl?raw';
import sampleGreedySource from '../../../shaders/decode/sample_greedy.wgsl?raw';
import sampleTauSource from '../../../shaders/decode/sample_tau.wgsl?raw';
import { f32, i32, runFlatInfo } from '../shared/flatProgram';
import { fill, withoutHeader } from '../shared/wgsl';
import { decodeMatmulBody, unrolledAttention } from './programs';

/**
 * Kernels of the KV-cache decoding path (src/model/decoder.ts), forward only, barrier-free (one
 * thread per row or per vec4; SwiftShader runs a workgroup's invocations as coroutines, so
 * barriers cost threads × barriers). These are the decoder's ops themselves: no gradient, and
 * their reference is GPT.hidden (tests/gpu/generate.test.ts compares the logits at every step).
 * Their WGSL is in the .wgsl files here; programs.ts generates what is unrolled per shape.
 *
 * The cache is ONE preallocated float32 tensor per decoding run holding the c_attn output rows
 * (q | k | v) of every position: (L, B, Tmax, 3C). The c_attn matmul writes its rows straight into
 * it, IN PLACE (the program's output binding is the cache tensor itself): no copy of the past, no
 * separate key/value write per step.
 *
 *   decodeMatmul     act(x·W + b) [+ residual], optionally written into cache rows
 *   cachedAttention  queries of cache rows against cache positions pads[b] .. (query's own
 *                    position): one thread per (row, head, query), online softmax in registers,
 *                    output in the merged (rows, C) layout (no head split/merge copies)
 *   decodeEmbed      wte[token] + wpe[position], position = t − pads[b] (clamped at 0)
 *   decodeLayerNorm  one thread per row
 */

export interface CacheDims {
  L: number;
  B: number;
  nh: number;
  hs: number;
  Tmax: number;
}

/** Where a matmul writes its rows in the cache: row b·T + τ → cache row (layer, b, t0 + τ). */
export interface CacheRows {
  cache: tf.Tensor;
  dims: CacheDims;
  layer: number;
  T: number;
  t0: number;
}

/** An uninitialised float32 tensor for the cache (every position is written before it is read). */
export function allocCache(d: CacheDims): tf.Tensor {
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.makeTensorInfo([d.L * d.B * d.Tmax * 3 * d.nh * d.hs], 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Causal attention against the cache, left padding masked: the query of row b at position
 * t0 + τ (τ ∈ [q0, T)) sees cache positions j ∈ [pads[b], t0 + τ] of layer `layer` →
 * (B·(T − q0), C), merged heads. A query that sees no key (a pad query) outputs zeros, like
 * causalAttention. One thread per (b, h, query); q, k and v read as vec4 straight from the cache.
 */
export function cachedAttention(cache: tf.Tensor, pads: tf.Tensor, d: CacheDims, layer: number, T: number, t0: number, q0: number): tf.Tensor {
  const C = d.nh * d.hs;
  const hs4 = d.hs / 4;
  const Tq = T - q0;
  const threads = d.B * d.nh * Tq;
  const info = runFlatInfo({
    inputs: [cache, pads],
    names: ['Cache', 'Pads'],
    key: `dec_attn_${hs4}_${C}`,
    body: fill(cachedAttentionSource, unrolledAttention(hs4)),
    threads,
    outputShape: [d.B * Tq, C],
    uniforms: {
      decl: 'nh : i32, Tq : i32, q0 : i32, t0 : i32, layer : i32, B : i32, Tmax : i32, scale : f32,',
      values: [i32(d.nh), i32(Tq), i32(q0), i32(t0), i32(layer), i32(d.B), i32(d.Tmax), f32(1 / Math.sqrt(d.hs))],
    },
    components: { inputs: [4, 1], output: 4 },
    prelude: `const HS4 : i32 = ${hs4};\nconst C4 : i32 = ${C / 4};`,
  });
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * x (B·T, C): row b·T + τ = wte[token] + wpe[max(0, t0 + τ − pads[b])] (clamped to the tables).
 * The token of that row is tokens[(b·T + τ)·stride + offset] (int32), so a sampler's packed
 * output can feed it directly (stride 1, offset 0: a plain (B, T) tensor).
 */
export function decodeEmbed(
  tokens: tf.Tensor,
  pads: tf.Tensor,
  wte: tf.Tensor,
  wpe: tf.Tensor,
  B: number,
  T: number,
  t0: number,
  stride = 1,
  offset = 0,
): tf.Tensor {
  const C = wte.shape[1]!;
  const threads = B * T * (C / 4);
  const info = runFlatInfo({
    inputs: [tokens, pads, wte, wpe],
    names: ['Tok', 'Pads', 'Wte', 'Wpe'],
    key: 'dec_embed',
    body: embedSource,
    threads,
    outputShape: [B * T, C],
    uniforms: {
      decl: 'C4 : i32, V : i32, P : i32, T : i32, t0 : i32, stride : i32, offset : i32,',
      values: [i32(C / 4), i32(wte.shape[0]), i32(wpe.shape[0]), i32(T), i32(t0), i32(stride), i32(offset)],
    },
    components: { inputs: [1, 1, 4, 4], output: 4 },
  });
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** LayerNorm of the rows of x (N, C), eps 1e-5, as layerNorm() computes it: one thread per row. */
export function decodeLayerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const [N, C] = x.shape as [number, number];
  const info = runFlatInfo({
    inputs: [x, gain, bias],
    names: ['X', 'G', 'Bt'],
    key: 'dec_ln',
    body: layerNormSource,
    threads: N,
    outputShape: [N, C],
    uniforms: { decl: 'C : i32, C4 : i32,', values: [i32(C), i32(C / 4)] },
    components: { inputs: [4, 4, 4], output: 4 },
  });
  return tf.engine().makeTensorFromTensorInfo(info);
}

export interface DecodeMatmulOptions {
  bias?: tf.Tensor;
  act?: 'none' | 'gelu';
  /** out = residual + (x·W + bias): the residual stream (M, N) */
  residual?: tf.Tensor;
  /** W is (N, K) and used transposed (the tied unembedding) */
  transB?: boolean;
  /** register block: rows × (4·cv) columns per thread */
  block?: { rm: number; cv: number };
  /** write the rows into the cache (in place) instead of a new (M, N) tensor; returns the cache */
  into?: CacheRows;
}

function chooseDecodeBlock(M: number): { rm: number; cv: number } {
  // Few, fat threads: 8 × 8 blocks are fastest on SwiftShader (BENCHMARKS.md, "Measurements behind the
  // kernels' choices").
  return M >= 8 ? { rm: 8, cv: 2 } : { rm: M >= 4 ? 4 : 1, cv: 2 };
}

const matmulCode = new Map<string, string>();

/**
 * out (M, N) = act(x · W + bias) [+ residual], one thread per rm × 4·cv output block, no
 * barrier: the dense layers of a decode step in one dispatch each (GELU or residual epilogue).
 * x (M, K) with K % 4 = 0; W (K, N) or, with transB, (N, K); N % 4 = 0.
 */
export function decodeMatmul(x: tf.Tensor, w: tf.Tensor, o: DecodeMatmulOptions = {}): tf.Tensor {
  const [M, K] = x.shape as [number, number];
  const N = o.transB ? w.shape[0] : w.shape[1]!;
  if (K % 4 !== 0 || N % 4 !== 0) throw new Error(`decodeMatmul: K (${K}) and N (${N}) must be multiples of 4`);
  const { rm, cv } = o.block ?? chooseDecodeBlock(M);
  const rowBlocks = Math.ceil(M / rm);
  const colBlocks = Math.ceil(N / (4 * cv));
  const threads = rowBlocks * colBlocks;
  const names = ['X', 'W'];
  const inputs: tf.Tensor[] = [x, w];
  const comps = [4, 4];
  const add = (name: string, t: tf.Tensor) => {
    names.push(name);
    inputs.push(t);
    comps.push(4);
  };
  if (o.bias) add('Bias', o.bias);
  if (o.residual) add('Res', o.residual);
  const act = o.act ?? 'none';
  const into = o.into;
  const key = `dec_mm_${rm}x${cv}_t${!!o.transB}_b${!!o.bias}_${act}_r${!!o.residual}_c${!!into}`;
  let code = matmulCode.get(key); // generated once per variant (a decode step runs ~10 of these)
  if (!code) {
    code = decodeMatmulBody({ bias: !!o.bias, residual: !!o.residual, transB: !!o.transB, into: !!into }, rm, cv, act);
    matmulCode.set(key, code);
  }
  const rows = into ? [into.T, into.t0, into.layer, into.dims.B, into.dims.Tmax] : [M, 0, 0, 0, 0];
  const info = runFlatInfo({
    inputs,
    names,
    key,
    body: code,
    threads,
    outputShape: into ? into.cache.shape : [M, N],
    uniforms: {
      decl: 'M : i32, N : i32, K : i32, K4 : i32, N4 : i32, colBlocks : i32, T : i32, t0 : i32, layer : i32, B : i32, Tmax : i32,',
      values: [i32(M), i32(N), i32(K), i32(K / 4), i32(N / 4), i32(colBlocks), ...rows.map(i32)],
    },
    components: { inputs: comps, output: 4 },
    // cache rows: row b·T + τ of this matmul → (layer·B + b)·Tmax + t0 + τ
    prelude: into
      ? 'fn outRow(r : i32) -> i32 { let b = r / uniforms.T; return (uniforms.layer * uniforms.B + b) * uniforms.Tmax + uniforms.t0 + r - b * uniforms.T; }'
      : '',
    output: into?.cache,
  });
  return into ? into.cache : tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * The next token of every row, predicted on the GPU so the next decode step can be issued before
 * the logits are read back (generate.ts then checks the prediction against sampleToken on the read
 * logits and replays from a wrong step). Mirrors sampleToken with top-k/top-p off:
 *   greedy  the first largest logit among the allowed ids;
 *   τ > 0   r = u·Σw, w_i = exp((l_i − max)/τ), walking the allowed ids by descending logit (ties:
 *           lower id first) until the running sum passes r; u is the row's uniform number.
 *           No sort: the first id when r < 1 (its weight), else a 32-bucket histogram of the
 *           logits finds the bucket where the sum passes r and only that bucket's ids are
 *           ordered. A prediction in float32: it may differ from sampleToken at a boundary.
 * State (int32, 2B + 1): [token (B) | finished (B) | draws]. Rows that finished emit `pad` and draw
 * nothing; a row finishes on `eos`. Unfinished rows take uniforms[draws + (unfinished rows before
 * it)], in row order, as the CPU sampler draws them; draws advances by the unfinished rows (τ > 0).
 * One thread per row.
 */
export function sampleNext(
  logits: tf.Tensor,
  uniforms: tf.Tensor,
  prev: tf.Tensor,
  o: { temperature: number; banned: number[]; pad: number; eos: number },
): tf.Tensor {
  const [B, V] = logits.shape as [number, number];
  const greedy = o.temperature <= 0;
  const allowed = o.banned.length ? o.banned.map((id) => `i != ${id}`).join(' && ') : 'true';
  const pick = fill(withoutHeader(greedy ? sampleGreedySource : sampleTauSource), { ALLOWED: allowed });
  const info = runFlatInfo({
    inputs: [logits, uniforms, prev],
    names: ['L', 'U', 'Prev'],
    key: `dec_sample_${greedy}_${V}_${o.banned.join('.')}_${o.pad}_${o.eos}`,
    body: fill(sampleSource, { PAD: o.pad, EOS: o.eos, PICK: pick, DRAWN: greedy ? '0' : 'open' }),
    threads: B,
    outputShape: [2 * B + 1],
    uniforms: { decl: 'B : i32, invTemp : f32,', values: [i32(B), f32(greedy ? 1 : 1 / o.temperature)] },
    components: { inputs: [1, 1, 1], output: 1 },
    prelude: `const V : i32 = ${V};\nconst NB : i32 = 32;`,
    dtype: 'int32',
  });
  return tf.engine().makeTensorFromTensorInfo(info);
}
