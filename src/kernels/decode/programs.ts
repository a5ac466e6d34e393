import { GELU_C } from '../linear/programs';

/**
 * The WGSL that the decode kernels (op.ts) generate per shape: decodeMatmul's body, unrolled per
 * register block, and cachedAttention's rows, unrolled per head size (the holes of
 * cached_attention.wgsl). Every generated variant is in its kernel's key.
 */

/**
 * The holes of cached_attention.wgsl for hs4 vec4s per head: the query in registers q0.., the
 * accumulators a0.., and the dot product, the update and the store over them.
 */
export function unrolledAttention(hs4: number): Record<string, string> {
  const each = (f: (c: number) => string, sep: string) => Array.from({ length: hs4 }, (_, c) => f(c)).join(sep);
  return {
    Q_ROWS: each((c) => `let q${c} = Cache[qo + ${c}] * uniforms.scale;`, '\n'),
    ACC_INIT: each((c) => `var a${c} = vec4<f32>(0.0);`, ' '),
    DOT: each((c) => `s4 = fma(q${c}, Cache[ko + ${c}], s4);`, ' '),
    UPDATE: each((c) => `a${c} = fma(vec4<f32>(p), Cache[ko + C4 + ${c}], a${c} * alpha);`, ' '),
    STORE: each((c) => `result[oo + ${c}] = a${c} * inv;`, ' '),
  };
}

/** Which optional parts the variant has (op.ts's DecodeMatmulOptions, as booleans). */
interface MatmulFlags {
  bias: boolean;
  residual: boolean;
  transB: boolean;
  /** rows go to the KV cache through the prelude's outRow() */
  into: boolean;
}

/**
 * decodeMatmul's body for one variant: one thread per rm × 4·cv block of outputs, registers only.
 * Bindings: X (M, K/4) vec4, W (K, N/4) or with transB (N, K/4), then Bias, Res when present.
 */
export function decodeMatmulBody(o: MatmulFlags, rm: number, cv: number, act: 'none' | 'gelu'): string {
  const L: string[] = [];
  L.push(`let rb = index / uniforms.colBlocks;`);
  L.push(`let col0 = (index - rb * uniforms.colBlocks) * ${4 * cv};`);
  L.push(`let row0 = rb * ${rm};`);
  for (let i = 0; i < rm; i++) L.push(`let x${i} = min(row0 + ${i}, uniforms.M - 1) * uniforms.K4;`);
  for (let j = 0; j < cv; j++) L.push(`let c${j} = min(col0 + ${4 * j}, uniforms.N - 4);`);
  for (let i = 0; i < rm; i++) for (let j = 0; j < cv; j++) L.push(`var acc${i}_${j} = vec4<f32>(0.0);`);
  L.push('for (var k4 = 0; k4 < uniforms.K4; k4++) {');
  for (let i = 0; i < rm; i++) L.push(`  let a${i} = X[x${i} + k4];`);
  for (let j = 0; j < cv; j++) {
    if (o.transB) {
      // W (N, K): columns c..c+3 are rows of W; gather the 4×4 block and use its columns
      for (let q = 0; q < 4; q++) L.push(`  let w${j}r${q} = W[(c${j} + ${q}) * uniforms.K4 + k4];`);
      for (let kk = 0; kk < 4; kk++) L.push(`  let w${j}_${kk} = vec4<f32>(w${j}r0[${kk}], w${j}r1[${kk}], w${j}r2[${kk}], w${j}r3[${kk}]);`);
    } else {
      for (let kk = 0; kk < 4; kk++) L.push(`  let w${j}_${kk} = W[(k4 * 4 + ${kk}) * uniforms.N4 + c${j} / 4];`);
    }
  }
  for (let i = 0; i < rm; i++)
    for (let j = 0; j < cv; j++) for (let kk = 0; kk < 4; kk++) L.push(`  acc${i}_${j} = fma(vec4<f32>(a${i}[${kk}]), w${j}_${kk}, acc${i}_${j});`);
  L.push('}');
  for (let i = 0; i < rm; i++) {
    L.push(`if (row0 + ${i} < uniforms.M) {`);
    for (let j = 0; j < cv; j++) {
      L.push(`  if (col0 + ${4 * j} < uniforms.N) {`);
      L.push(`    let o = ${o.into ? `outRow(row0 + ${i})` : `(row0 + ${i})`} * uniforms.N4 + (col0 + ${4 * j}) / 4;`);
      L.push(`    var u = acc${i}_${j};`);
      if (o.bias) L.push(`    u = u + Bias[(col0 + ${4 * j}) / 4];`);
      if (act === 'gelu') L.push(`    u = 0.5 * u * (1.0 + tanh(${GELU_C} * (u + 0.044715 * u * u * u)));`);
      if (o.residual) L.push('    u = Res[o] + u;');
      L.push('    result[o] = u;');
      L.push('  }');
    }
    L.push('}');
  }
  return L.join('\n');
}
