import * as tf from '@tensorflow/tfjs';
import fwdSource from '../../../shaders/rowAttention/fwd.wgsl?raw';
import statsSource from '../../../shaders/rowAttention/stats.wgsl?raw';
import gradSource from '../../../shaders/rowAttention/grad.wgsl?raw';
import { f32, i32, runFlat } from '../shared/flatProgram';
import { runMulti } from '../shared/multiProgram';
import { fill, withoutHeader } from '../shared/wgsl';

/**
 * The kernels of row attention (op.ts holds the op and its gradient): one thread per row, every
 * pass a flat program over the B·nh·T rows, from fwd.wgsl, stats.wgsl and grad.wgsl.
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
 * it (`kvb`, from this thread's flat row `index` = (b·nh + h)·T + i) and the skip of a pad key `j`:
 * the ROW_START and SKIP holes of every pass.
 */
function masking(kv: tf.Tensor | undefined, vec4Inputs: tf.Tensor[], names: string[]) {
  return {
    inputs: kv ? [...vec4Inputs, kv] : vec4Inputs,
    names: kv ? [...names, 'KV'] : names,
    components: { inputs: [...vec4Inputs.map(() => 4), ...(kv ? [1] : [])], output: 4 },
    key: kv ? '_m' : '',
    holes: {
      ROW_START: kv ? 'let kvb = (index / uniforms.TN) * uniforms.T;' : '',
      SKIP: kv ? 'if (KV[kvb + j] == 0.0) { continue; }' : '',
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

/** A pass of `d.BH·d.T` threads on a filled, unrolled source: one output (`result`), or several (`written`). */
function rowPass(d: Dims, key: string, m: ReturnType<typeof masking>, source: string, holes: Record<string, string>, outputShape: number[]): tf.Tensor;
function rowPass(
  d: Dims,
  key: string,
  m: ReturnType<typeof masking>,
  source: string,
  holes: Record<string, string>,
  written: string[],
  shape: number[],
): tf.Tensor[];
function rowPass(
  d: Dims,
  key: string,
  m: ReturnType<typeof masking>,
  source: string,
  holes: Record<string, string>,
  shapeOrNames: number[] | string[],
  shape?: number[],
): tf.Tensor | tf.Tensor[] {
  const pass = {
    key: key + m.key,
    inputs: m.inputs,
    names: m.names,
    threads: d.BH * d.T,
    prelude: prelude(d),
    uniforms: common(d),
    body: unroll(fill(withoutHeader(source), { ...m.holes, ...holes }), d.hs / 4),
  };
  if (!shape) return runFlat({ ...pass, components: m.components, outputShape: shapeOrNames as number[] });
  const outputs = (shapeOrNames as string[]).map((name) => ({ name, shape }));
  return runMulti({ ...pass, components: { inputs: m.components.inputs, written: 4 }, outputs });
}

export function forward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  return rowPass(d, `rowattn_fwd_${d.hs}`, masking(kv, [q, k, v], ['Q', 'K', 'V']), fwdSource, {}, q.shape);
}

/** Per query row: [lse, D = dO·O, 0, 0] (recomputing the lse). */
function rowStats(q: tf.Tensor, k: tf.Tensor, o: tf.Tensor, dO: tf.Tensor, kv?: tf.Tensor): tf.Tensor {
  const d = dimsOf(q);
  return rowPass(d, `rowattn_stats_${d.hs}`, masking(kv, [q, k, o, dO], ['Q', 'K', 'O', 'dO']), statsSource, {}, [d.BH * d.T, 4]);
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
  const m = masking(kv, [q, k, v, dO, stats], ['Q', 'K', 'V', 'dO', 'Stats']);
  const key = `rowattn_d${which}_${d.hs}`;
  return both ? rowPass(d, key, m, gradSource, holes, ['dK', 'dV'], q.shape) : [rowPass(d, key, m, gradSource, holes, q.shape)];
}

/** dq, dk, dv from dy and the saved [q, k, v, o] (and the key mask). */
export function gradients(dy: tf.Tensor, [qs, ks, vs, os]: tf.Tensor[], kv?: tf.Tensor): tf.Tensor[] {
  const stats = rowStats(qs, ks, os, dy, kv);
  const [dq] = grad('q', qs, ks, vs, dy, stats, kv);
  const [dk, dv] = grad('kv', qs, ks, vs, dy, stats, kv);
  stats.dispose();
  return [dq, dk, dv];
}
