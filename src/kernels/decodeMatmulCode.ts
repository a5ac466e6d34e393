/**
 * The WGSL body of decodeMatmul (decode.ts) for one variant: one thread per rm × 4·cv block of
 * outputs, registers only. Generated code, so it lives apart from the kernel that dispatches it.
 * Bindings: X (M, K/4) vec4, W (K, N/4) or with transB (N, K/4), then Bias, Res when present.
 */

const GELU_C = Math.sqrt(2 / Math.PI);

/** Which optional parts the variant has (decode.ts's DecodeMatmulOptions, as booleans). */
export interface MatmulFlags {
  bias: boolean;
  residual: boolean;
  transB: boolean;
  /** rows go to the KV cache through the prelude's outRow() */
  into: boolean;
}

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
  return L.join('\n  ');
}
