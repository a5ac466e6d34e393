import * as tf from '@tensorflow/tfjs';
import fwdSource from '../../../shaders/rowAttention/fwd.wgsl?raw';
import statsSource from '../../../shaders/rowAttention/stats.wgsl?raw';
import gradSource from '../../../shaders/rowAttention/grad.wgsl?raw';
import rowSource from '../../../shaders/rowAttention/row.wgsl?raw';
import softmaxStepSource from '../../../shaders/rowAttention/softmax_step.wgsl?raw';
import { f32, i32, runFlat } from '../shared/flatProgram';
import { runMulti } from '../shared/multiProgram';
import { fill, withoutHeader } from '../shared/wgsl';

/**
 * The kernels of row attention (op.ts holds the op and its gradient): one thread per row, every
 * pass a flat program over the B·nh·T rows, from fwd.wgsl, stats.wgsl and grad.wgsl. What they share is
 * written once: the row setup (row.wgsl, every pass's ROW hole) and the online-softmax step over one key
 * (softmax_step.wgsl, the SOFTMAX_STEP hole of fwd and stats).
 */

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
 * it (`kvb`, from this thread's flat row `index` = (b·nh + h)·T + own: row.wgsl's ROW_START hole) and
 * the skip of a pad key `j` (the SKIP hole of grad.wgsl and softmax_step.wgsl). `holes`: every pass's
 * ROW, and the skip as SKIP (grad) or inside SOFTMAX_STEP (fwd, stats).
 */
function masking(kv: tf.Tensor | undefined, vec4Inputs: tf.Tensor[], names: string[], skipIn: 'SKIP' | 'SOFTMAX_STEP') {
  const skip = kv ? 'if (KV[kvb + j] == 0.0) { continue; }' : '';
  return {
    inputs: kv ? [...vec4Inputs, kv] : vec4Inputs,
    names: kv ? [...names, 'KV'] : names,
    inputComponents: [...vec4Inputs.map(() => 4), ...(kv ? [1] : [])],
    key: kv ? '_m' : '',
    holes: {
      ROW: fill(withoutHeader(rowSource), { ROW_START: kv ? 'let kvb = (index / uniforms.TN) * uniforms.T;' : '' }),
      [skipIn]: skipIn === 'SKIP' ? skip : fill(withoutHeader(softmaxStepSource), { SKIP: skip }),
    },
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

/** A pass of `d.BH·d.T` threads on a filled, unrolled source, without its outputs: run by runFlat (`result`) or runMulti (`written`). */
function rowPass(d: Dims, key: string, m: ReturnType<typeof masking>, source: string, holes: Record<string, string> = {}) {
  return {
    key: key + m.key,
    inputs: m.inputs,
    names: m.names,
    threads: d.BH * d.T,
    prelude: prelude(d),
    uniforms: common(d),
    body: unroll(fill(withoutHeader(source), { ...m.holes, ...holes }), d.hs / 4),
  };
}

/** A pass with one output, `result` (vec4). */
function runRowPass(pass: ReturnType<typeof rowPass>, m: ReturnType<typeof masking>, outputShape: number[]): tf.Tensor {
  return runFlat({ ...pass, components: { inputs: m.inputComponents, output: 4 }, outputShape });
}

export function forward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  const m = masking(kv, [q, k, v], ['Q', 'K', 'V'], 'SOFTMAX_STEP');
  return runRowPass(rowPass(d, `rowattn_fwd_${d.hs}`, m, fwdSource), m, q.shape);
}

/** Per query row: [lse, D = dO·O, 0, 0] (recomputing the lse). */
function rowStats(q: tf.Tensor, k: tf.Tensor, o: tf.Tensor, dO: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  const m = masking(kv, [q, k, o, dO], ['Q', 'K', 'O', 'dO'], 'SOFTMAX_STEP');
  return runRowPass(rowPass(d, `rowattn_stats_${d.hs}`, m, statsSource), m, [d.BH * d.T, 4]);
}

/**
 * dQ (which = 'q') or dK and dV ('kv': one pass over the queries gives both, the scores and probabilities
 * computed once, each written to its own output). Stats: (rows, 4) [lse, D, 0, 0].
 */
function grad(which: 'q' | 'kv', q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, dO: tf.Tensor, stats: tf.Tensor, kv?: tf.Tensor): tf.Tensor[] {
  const d = dimsOf(q);
  const both = which === 'kv';
  const holes = {
    ACCV: both ? 'var accv : array<vec4<f32>, HS4>;' : '',
    // The loop runs over keys j ≤ i (dQ) or queries i ≥ j (dK, dV); "own" is this thread's row.
    LOOP: both ? 'for (var i = own; i < uniforms.T; i++) { let j = own;' : 'for (var j = 0; j <= own; j++) { let i = own;',
    ACCUMULATE: both
      ? `for (var c = 0; c < HS4; c++) { acc[c] = fma(vec4<f32>(ds), Q[qo + c], acc[c]); }
for (var c = 0; c < HS4; c++) { accv[c] = fma(vec4<f32>(p), dO[qo + c], accv[c]); }`
      : 'for (var c = 0; c < HS4; c++) { acc[c] = fma(vec4<f32>(ds), K[ko + c], acc[c]); }',
    OUT: both ? 'dK' : 'result',
    WRITE_DV: both ? 'for (var c = 0; c < HS4; c++) { dV[index * HS4 + c] = accv[c]; }' : '',
  };
  const m = masking(kv, [q, k, v, dO, stats], ['Q', 'K', 'V', 'dO', 'Stats'], 'SKIP');
  const pass = rowPass(d, `rowattn_d${which}_${d.hs}`, m, gradSource, holes);
  if (!both) return [runRowPass(pass, m, q.shape)];
  return runMulti({ ...pass, components: { inputs: m.inputComponents, written: 4 }, outputs: ['dK', 'dV'].map((name) => ({ name, shape: q.shape })) });
}

/** dq, dk, dv from dy and the saved [q, k, v, o] (and the key mask). */
export function gradients(dy: tf.Tensor, [qs, ks, vs, os]: tf.Tensor[], kv?: tf.Tensor): tf.Tensor[] {
  const stats = rowStats(qs, ks, os, dy, kv);
  const [dq] = grad('q', qs, ks, vs, dy, stats, kv);
  const [dk, dv] = grad('kv', qs, ks, vs, dy, stats, kv);
  stats.dispose();
  return [dq, dk, dv];
}
