// Row attention, backward pass 2: dQ (one thread per query, over keys j ≤ i) or dK and dV (one
// thread per key, over queries i ≥ j; p and ds computed once for both, each written to its output).
// Holes (programs.ts): ROW (row.wgsl), SKIP (the key mask or nothing), ACCV (dV's accumulator), LOOP
// (the loop header, which sets i and j), ACCUMULATE (dQ's, or dK's and dV's), OUT (result or dK),
// WRITE_DV. The `c < HS4` loops are unrolled. Bindings: Q, K, V, dO, Stats (rows, 4) (vec4) [, KV];
// written result (dQ), or dK and dV (vec4).

{{ROW}}
let sbase = index - own; // first row of this (b, h) in Stats rows
var acc : array<vec4<f32>, HS4>;
{{ACCV}}
{{LOOP}}
  {{SKIP}}
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
  {{ACCUMULATE}}
}
for (var c = 0; c < HS4; c++) { {{OUT}}[index * HS4 + c] = acc[c]; }
{{WRITE_DV}}
