import * as tf from '@tensorflow/tfjs';
import { customOp, f32, i32, runFlat as runFlatRaw, type FlatKernel } from './flatProgram';
import { cpuAdapter, onWebGPU } from './runProgram';
import { tuning } from './tuning';

/**
 * Causal self-attention for training (Tq = Tk = T) as barrier-free kernels: ONE
 * THREAD PER ROW, keys and values read straight from global memory (vec4), online softmax in
 * registers. For CPU implementations of WebGPU (SwiftShader), where the tiled flash kernels of
 * attention.ts pay for every barrier with every thread of the workgroup; on GPUs those stay.
 *
 *   forward   per query row i of (b, h): O_i = Σ_{j ≤ i} softmax_j(q_i·k_j·s) v_j     → O (B, nh, T, hs)
 *   backward  rows    per query: lse_i (recomputed), D_i = dO_i·O_i              → (B·nh·T, 2)
 *             dQ      per query: dq_i = s Σ_j p_ij (dO_i·v_j − D_i) k_j
 *             dK, dV  per key (one pass, packed, then two vec4 copies):
 *                                dv_j = Σ_{i ≥ j} p_ij dO_i,  dk_j = s Σ_{i ≥ j} p_ij (dO_i·v_j − D_i) q_i
 * with s = 1/√hs and p_ij = exp(q_i·k_j·s − lse_i). Nothing of size T² is stored.
 *
 * Optional keyValid (B, T), 1 real / 0 pad, as causalAttention: pad keys are skipped, and a query
 * that sees no real key (a left pad) outputs zeros and passes no gradient. The SFT, reward-model
 * and PPO batches are left-padded, so they need it.
 */

function runFlat(k: FlatKernel & { unroll: number }): tf.Tensor {
  return runFlatRaw({ ...k, body: unroll(k.body, k.unroll) });
}

/** Whether gpt.ts should use rowAttention for a training-shaped call with head size hs. */
export function rowAttentionActive(hs: number): boolean {
  if (!(onWebGPU() && tuning.fusedKernels && hs % 4 === 0)) return false;
  return tuning.rowAttention ?? cpuAdapter();
}

interface Dims {
  BH: number;
  nh: number;
  T: number;
  hs: number;
}

const dimsOf = (q: tf.Tensor): Dims => ({ BH: q.shape[0] * q.shape[1]!, nh: q.shape[1]!, T: q.shape[2]!, hs: q.shape[3]! });

const common = (d: Dims) => ({ decl: 'T : i32, scale : f32, TN : i32,', values: [i32(d.T), f32(1 / Math.sqrt(d.hs)), i32(d.T * d.nh)] });
const prelude = (d: Dims) => `const HS4 : i32 = ${d.hs / 4};`;

/**
 * The mask's part of a kernel: its binding (scalar, after the vec4 inputs), the row's offset in
 * it (`kvb`, from this thread's flat row `index` = (b·nh + h)·T + i) and the skip of a pad key `j`.
 */
function masking(kv: tf.Tensor | undefined, vec4Inputs: tf.Tensor[], names: string[]) {
  return {
    inputs: kv ? [...vec4Inputs, kv] : vec4Inputs,
    names: kv ? [...names, 'KV'] : names,
    components: { inputs: [...vec4Inputs.map(() => 4), ...(kv ? [1] : [])], output: 4 },
    key: kv ? '_m' : '',
    rowStart: kv ? 'let kvb = (index / uniforms.TN) * uniforms.T;' : '',
    skip: kv ? 'if (KV[kvb + j] == 0.0) { continue; }' : '',
  };
}

/**
 * Unrolls every `for (var c = 0; c < HS4; c++) { … }` of a body and turns the private arrays
 * `qr[c]` / `acc[c]` into scalars-of-vec4 `qr_0`, `acc_0`, …: SwiftShader keeps dynamically indexed
 * private arrays in memory, named values stay in registers.
 */
function unroll(body: string, hs4: number): string {
  let out = body.replace(/var (qr|acc|accv) : array<vec4<f32>, HS4>;/g, (_, name: string) =>
    Array.from({ length: hs4 }, (_, c) => `var ${name}_${c} : vec4<f32>;`).join(' '),
  );
  out = out.replace(/for \(var c = 0; c < HS4; c\+\+\) \{ ([^}]*) \}/g, (_, inner: string) =>
    Array.from({ length: hs4 }, (_, c) => inner.replace(/(qr|acc|accv)\[c\]/g, `$1_${c}`).replace(/\+ c\]/g, `+ ${c}]`)).join(' '),
  );
  return out;
}

function forward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  const m = masking(kv, [q, k, v], ['Q', 'K', 'V']);
  return runFlat({
    key: `rowattn_fwd_${d.hs}${m.key}`,
    unroll: d.hs / 4,
    inputs: m.inputs,
    names: m.names,
    components: m.components,
    threads: d.BH * d.T,
    outputShape: q.shape,
    prelude: prelude(d),
    uniforms: common(d),
    body: `let i = index % uniforms.T;
  ${m.rowStart}
  let base = (index - i) * HS4; // first row of this (b, h), in vec4s
  let qo = index * HS4;
  var qr : array<vec4<f32>, HS4>;
  var acc : array<vec4<f32>, HS4>;
  for (var c = 0; c < HS4; c++) { qr[c] = Q[qo + c] * uniforms.scale; acc[c] = vec4<f32>(0.0); }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = 0; j <= i; j++) {
    ${m.skip}
    let ko = base + j * HS4;
    var s4 = vec4<f32>(0.0);
    for (var c = 0; c < HS4; c++) { s4 = fma(qr[c], K[ko + c], s4); }
    let s = s4.x + s4.y + s4.z + s4.w;
    let mNew = max(m, s);
    let alpha = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * alpha + p;
    for (var c = 0; c < HS4; c++) { acc[c] = fma(vec4<f32>(p), V[ko + c], acc[c] * alpha); }
    m = mNew;
  }
  var inv = 0.0;
  if (l > 0.0) { inv = 1.0 / l; } // no real key: zeros
  for (var c = 0; c < HS4; c++) { result[qo + c] = acc[c] * inv; }`,
  });
}

/** Per query row: [lse, D = dO·O, 0, 0] (recomputing the lse). */
function rowStats(q: tf.Tensor, k: tf.Tensor, o: tf.Tensor, dO: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  const mk = masking(kv, [q, k, o, dO], ['Q', 'K', 'O', 'dO']);
  return runFlat({
    key: `rowattn_stats_${d.hs}${mk.key}`,
    unroll: d.hs / 4,
    inputs: mk.inputs,
    names: mk.names,
    components: mk.components,
    threads: d.BH * d.T,
    outputShape: [d.BH * d.T, 4],
    prelude: prelude(d),
    uniforms: common(d),
    body: `let i = index % uniforms.T;
  ${mk.rowStart}
  let base = (index - i) * HS4;
  let qo = index * HS4;
  var qr : array<vec4<f32>, HS4>;
  var dd = vec4<f32>(0.0);
  for (var c = 0; c < HS4; c++) { qr[c] = Q[qo + c] * uniforms.scale; dd = fma(O[qo + c], dO[qo + c], dd); }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = 0; j <= i; j++) {
    ${mk.skip}
    let ko = base + j * HS4;
    var s4 = vec4<f32>(0.0);
    for (var c = 0; c < HS4; c++) { s4 = fma(qr[c], K[ko + c], s4); }
    let s = s4.x + s4.y + s4.z + s4.w;
    let mNew = max(m, s);
    l = l * exp(m - mNew) + exp(s - mNew);
    m = mNew;
  }
  // a query with no real key has no lse; the gradient kernels never read it (they skip its keys)
  result[index] = vec4<f32>(select(0.0, m + log(l), l > 0.0), dd.x + dd.y + dd.z + dd.w, 0.0, 0.0);`,
  });
}

/**
 * dQ (which = 'q') or packed [dK | dV] ('kv': one pass over the queries gives both, the scores
 * and probabilities computed once). Stats: (rows, 4) [lse, D, 0, 0].
 */
function grad(which: 'q' | 'kv', q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, dO: tf.Tensor, stats: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  // The loop runs over keys j ≤ i (dQ) or queries i ≥ j (dK, dV); "own" is this thread's row.
  const loop = which === 'q' ? 'for (var j = 0; j <= own; j++) { let i = own;' : 'for (var i = own; i < uniforms.T; i++) { let j = own;';
  const accumulate = {
    q: 'for (var c = 0; c < HS4; c++) { acc[c] = fma(vec4<f32>(ds), K[ko + c], acc[c]); }',
    kv: `for (var c = 0; c < HS4; c++) { acc[c] = fma(vec4<f32>(ds), Q[qo + c], acc[c]); }
    for (var c = 0; c < HS4; c++) { accv[c] = fma(vec4<f32>(p), dO[qo + c], accv[c]); }`,
  }[which];
  const both = which === 'kv';
  const rows = d.BH * d.T;
  const m = masking(kv, [q, k, v, dO, stats], ['Q', 'K', 'V', 'dO', 'Stats']);
  return runFlat({
    key: `rowattn_d${which}_${d.hs}${m.key}`,
    unroll: d.hs / 4,
    inputs: m.inputs,
    names: m.names,
    components: m.components,
    threads: rows,
    outputShape: both ? [2 * rows * d.hs] : q.shape,
    prelude: prelude(d),
    uniforms: common(d),
    body: `let own = index % uniforms.T;
  ${m.rowStart}
  let base = (index - own) * HS4;
  let sbase = index - own; // first row of this (b, h) in Stats rows
  var acc : array<vec4<f32>, HS4>;
  ${both ? 'var accv : array<vec4<f32>, HS4>;' : ''}
  ${loop}
    ${m.skip}
    let qo = base + i * HS4;
    let ko = base + j * HS4;
    var s4 = vec4<f32>(0.0);
    for (var c = 0; c < HS4; c++) { s4 = fma(Q[qo + c], K[ko + c], s4); }
    let st = Stats[sbase + i];
    let lse = st.x;
    let D = st.y;
    let p = exp((s4.x + s4.y + s4.z + s4.w) * uniforms.scale - lse);
    var dp4 = vec4<f32>(0.0);
    for (var c = 0; c < HS4; c++) { dp4 = fma(dO[qo + c], V[ko + c], dp4); }
    let ds = p * (dp4.x + dp4.y + dp4.z + dp4.w - D) * uniforms.scale;
    ${accumulate}
  }
  for (var c = 0; c < HS4; c++) { result[index * HS4 + c] = acc[c]; }
  ${
    both
      ? `let vo = uniforms.threads * HS4; // dV after all of dK
  for (var c = 0; c < HS4; c++) { result[vo + index * HS4 + c] = accv[c]; }`
      : ''
  }`,
  });
}

/** A vec4 copy of `shape` out of a packed buffer, starting at float `offset`. */
function unpack(packed: tf.Tensor, offset: number, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return runFlatRaw({
    key: 'rowattn_unpack',
    inputs: [packed],
    names: ['X'],
    threads: n / 4,
    outputShape: shape,
    vec4: true,
    uniforms: { decl: 'off4 : i32,', values: [i32(offset / 4)] },
    body: 'result[index] = X[index + uniforms.off4];',
  });
}

function gradients(dy: tf.Tensor, [qs, ks, vs, os]: tf.Tensor[], kv?: tf.Tensor): tf.Tensor[] {
  const stats = rowStats(qs, ks, os, dy, kv);
  const dq = grad('q', qs, ks, vs, dy, stats, kv);
  const dkv = grad('kv', qs, ks, vs, dy, stats, kv);
  const half = dkv.size / 2;
  const out = [dq, unpack(dkv, 0, qs.shape), unpack(dkv, half, qs.shape)];
  tf.dispose([stats, dkv]);
  return out;
}

const unmasked = customOp((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
  const o = forward(qi, ki, vi);
  save([qi, ki, vi, o]);
  return { value: o, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradients(dy, saved) };
});

const masked = customOp((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, kvi: tf.Tensor, save: tf.GradSaveFunc) => {
  const o = forward(qi, ki, vi, kvi);
  save([qi, ki, vi, o, kvi]);
  return {
    value: o,
    // the mask is data: zero gradient
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [...gradients(dy, saved.slice(0, 4), saved[4]), tf.zerosLike(saved[4])],
  };
});

/**
 * q, k, v (B, nh, T, hs) → (B, nh, T, hs), causal, differentiable; keyValid (B, T) 1 real / 0 pad
 * masks keys (a query with no real key gives zeros).
 */
export function rowAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, keyValid?: tf.Tensor2D): tf.Tensor4D {
  if (!keyValid) return unmasked(q, k, v) as tf.Tensor4D;
  const [B, T] = [q.shape[0], q.shape[2]];
  if (keyValid.shape[0] !== B || keyValid.shape[1] !== T) throw new Error(`rowAttention: keyValid must be (${B}, ${T}); got ${keyValid.shape}`);
  return tf.tidy(() => masked(q, k, v, keyValid.dtype === 'float32' ? keyValid : tf.cast(keyValid, 'float32')) as tf.Tensor4D);
}
