import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { getMainHeaderString } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import type { Uniform } from './runProgram';

/**
 * Kernels of the KV-cache decoding path (src/model/decoder.ts), forward only, barrier-free (one
 * thread per row or per vec4; SwiftShader runs a workgroup's invocations as coroutines, so
 * barriers cost threads × barriers).
 *
 * The cache is ONE preallocated float32 tensor per decoding run, laid out
 * (L, 2, B, nh, Tmax, hs) — layer, key/value, row, head, position, head dim — written IN PLACE
 * (the program's output binding is the cache tensor itself): no copy of the past per step.
 *
 *   kvWrite        qkv rows (B·T, 3C) → cache positions t0 .. t0+T−1 of one layer
 *   cachedAttention  queries of qkv rows against cache positions pads[b] .. (query's own position):
 *                  one thread per (row, head, query), online softmax in registers, output in the
 *                  merged (rows, C) layout (no head split/merge copies)
 *   decodeEmbed    wte[token] + wpe[position] for one token per row, position = t − pads[b]
 */

export interface CacheDims {
  L: number;
  B: number;
  nh: number;
  hs: number;
  Tmax: number;
}

/** A barrier-free program over `threads` invocations; components per input; optional in-place output. */
class DecodeProgram implements WebGPUProgram {
  outputShape: number[];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms: string;
  variableComponents: number[];
  outputComponent: number;

  constructor(
    readonly variableNames: string[],
    readonly shaderKey: string,
    private readonly body: string,
    threads: number,
    outputShape: number[],
    uniforms: string,
    components: number[],
    outputComponent: number,
    private readonly prelude = '',
  ) {
    this.outputShape = outputShape;
    this.uniforms = 'threads : i32, ' + uniforms;
    this.variableComponents = components;
    this.outputComponent = outputComponent;
    const groups = Math.ceil(threads / 64);
    this.dispatch = groups > 65535 ? [65535, Math.ceil(groups / 65535), 1] : [groups, 1, 1];
  }

  getUserCode(): string {
    return `${this.prelude}
${getMainHeaderString('index')} {
  if (index >= uniforms.threads) { return; }
  ${this.body}
}`;
  }
}

const i32 = (v: number): Uniform => ({ type: 'int32', data: [v] });
const f32 = (v: number): Uniform => ({ type: 'float32', data: [v] });

function run(program: DecodeProgram, inputs: tf.TensorInfo[], threads: number, uniforms: Uniform[], dtype: tf.DataType = 'float32', output?: tf.TensorInfo): tf.TensorInfo {
  const backend = tf.backend() as WebGPUBackend;
  return backend.runWebGPUProgram(program, inputs, dtype, [i32(threads), ...uniforms], output);
}

/** An uninitialised float32 tensor for the cache (every position is written before it is read). */
export function allocCache(d: CacheDims): tf.Tensor {
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.makeTensorInfo([d.L * 2 * d.B * d.nh * d.Tmax * d.hs], 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Writes the keys and values of qkv rows (B·T, 3C) (row b·T + τ is position t0 + τ of row b) into
 * layer `layer` of the cache, in place. One thread per vec4 of the written keys and values.
 */
export function kvWrite(qkv: tf.Tensor, cache: tf.Tensor, d: CacheDims, layer: number, T: number, t0: number): void {
  const C = d.nh * d.hs;
  const hs4 = d.hs / 4;
  const threads = d.B * T * 2 * (C / 4);
  const program = new DecodeProgram(
    ['QKV'],
    'dec_kvwrite',
    `let d4 = index % uniforms.hs4;
  var rest = index / uniforms.hs4;
  let h = rest % uniforms.nh;
  rest = rest / uniforms.nh;
  let kv = rest % 2;
  let r = rest / 2; // row of qkv: b * T + tau
  let b = r / uniforms.T;
  let pos = uniforms.t0 + r - b * uniforms.T;
  let src = r * 3 * uniforms.C4 + (1 + kv) * uniforms.C4 + h * uniforms.hs4 + d4;
  let dst = ((((uniforms.layer * 2 + kv) * uniforms.B + b) * uniforms.nh + h) * uniforms.Tmax + pos) * uniforms.hs4 + d4;
  result[dst] = QKV[src];`,
    threads,
    cache.shape,
    'hs4 : i32, nh : i32, T : i32, t0 : i32, C4 : i32, layer : i32, B : i32, Tmax : i32,',
    [4],
    4,
  );
  run(program, [qkv], threads, [i32(hs4), i32(d.nh), i32(T), i32(t0), i32(C / 4), i32(layer), i32(d.B), i32(d.Tmax)], 'float32', cache);
}

/**
 * Causal attention of queries against the cache, left padding masked:
 *   qkv (B·T, 3C), the query of row b at τ ∈ [q0, T) sits at position t0 + τ and sees cache
 *   positions j ∈ [pads[b], t0 + τ] of layer `layer` → (B·(T − q0), C), merged heads.
 * A query that sees no key (a pad query) outputs zeros, like causalAttention.
 * One thread per (b, h, query); keys and values read as vec4 straight from the cache.
 */
export function cachedAttention(qkv: tf.Tensor, cache: tf.Tensor, pads: tf.Tensor, d: CacheDims, layer: number, T: number, t0: number, q0: number): tf.Tensor {
  const C = d.nh * d.hs;
  const hs4 = d.hs / 4;
  const Tq = T - q0;
  const threads = d.B * d.nh * Tq;
  const qr = Array.from({ length: hs4 }, (_, c) => `let q${c} = QKV[qo + ${c}] * uniforms.scale;`).join('\n  ');
  const acc0 = Array.from({ length: hs4 }, (_, c) => `var a${c} = vec4<f32>(0.0);`).join(' ');
  const dot = Array.from({ length: hs4 }, (_, c) => `s4 = fma(q${c}, Cache[ko + ${c}], s4);`).join(' ');
  const upd = Array.from({ length: hs4 }, (_, c) => `a${c} = fma(vec4<f32>(p), Cache[vo + ${c}], a${c} * alpha);`).join(' ');
  const store = Array.from({ length: hs4 }, (_, c) => `result[oo + ${c}] = a${c} * inv;`).join(' ');
  const program = new DecodeProgram(
    ['QKV', 'Cache', 'Pads'],
    `dec_attn_${hs4}`,
    `let i = index % uniforms.Tq;
  let bh = index / uniforms.Tq;
  let h = bh % uniforms.nh;
  let b = bh / uniforms.nh;
  let tau = uniforms.q0 + i;
  let pos = uniforms.t0 + tau;
  let qo = (b * uniforms.T + tau) * 3 * uniforms.C4 + h * HS4;
  ${qr}
  ${acc0}
  let kBase = (((uniforms.layer * 2) * uniforms.B + b) * uniforms.nh + h) * uniforms.Tmax * HS4;
  let vBase = (((uniforms.layer * 2 + 1) * uniforms.B + b) * uniforms.nh + h) * uniforms.Tmax * HS4;
  var m = -3.0e38;
  var l = 0.0;
  for (var j = max(Pads[b], 0); j <= pos; j++) {
    let ko = kBase + j * HS4;
    let vo = vBase + j * HS4;
    var s4 = vec4<f32>(0.0);
    ${dot}
    let s = s4.x + s4.y + s4.z + s4.w;
    let mNew = max(m, s);
    let alpha = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * alpha + p;
    ${upd}
    m = mNew;
  }
  var inv = 0.0;
  if (l > 0.0) { inv = 1.0 / l; }
  let oo = (b * uniforms.Tq + i) * uniforms.C4 + h * HS4;
  ${store}`,
    threads,
    [d.B * Tq, C],
    'nh : i32, T : i32, Tq : i32, q0 : i32, t0 : i32, C4 : i32, layer : i32, B : i32, Tmax : i32, scale : f32,',
    [4, 4, 1],
    4,
    `const HS4 : i32 = ${hs4};`,
  );
  const info = run(program, [qkv, cache, pads], threads, [
    i32(d.nh),
    i32(T),
    i32(Tq),
    i32(q0),
    i32(t0),
    i32(C / 4),
    i32(layer),
    i32(d.B),
    i32(d.Tmax),
    f32(1 / Math.sqrt(d.hs)),
  ]);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * x (B, C) = wte[tokens[b]] + wpe[t − pads[b]] (clamped to the tables). tokens: int32 with the
 * token of row b at tokens[b·stride + offset] (so a sampler's packed output can feed it directly).
 */
export function decodeEmbed(tokens: tf.Tensor, pads: tf.Tensor, wte: tf.Tensor, wpe: tf.Tensor, B: number, t: number, stride = 1, offset = 0): tf.Tensor {
  const C = wte.shape[1]!;
  const threads = B * (C / 4);
  const program = new DecodeProgram(
    ['Tok', 'Pads', 'Wte', 'Wpe'],
    'dec_embed',
    `let b = index / uniforms.C4;
  let c = index - b * uniforms.C4;
  let tok = clamp(Tok[b * uniforms.stride + uniforms.offset], 0, uniforms.V - 1);
  let p = clamp(uniforms.t - Pads[b], 0, uniforms.P - 1);
  result[index] = Wte[tok * uniforms.C4 + c] + Wpe[p * uniforms.C4 + c];`,
    threads,
    [B, C],
    'C4 : i32, V : i32, P : i32, t : i32, stride : i32, offset : i32,',
    [1, 1, 4, 4],
    4,
  );
  const info = run(program, [tokens, pads, wte, wpe], threads, [i32(C / 4), i32(wte.shape[0]), i32(wpe.shape[0]), i32(t), i32(stride), i32(offset)]);
  return tf.engine().makeTensorFromTensorInfo(info);
}
