// Row attention, forward: one thread per query row (index = (b·nh + h)·T + own), keys j ≤ own read
// straight from global memory, online softmax in registers; zeros when the row sees no real key.
// Holes (programs.ts): ROW (row.wgsl) and SOFTMAX_STEP (softmax_step.wgsl), with the key mask or
// nothing. The `c < HS4` loops are unrolled.
// Bindings: Q, K, V (vec4) [, KV (B, T) key mask]; result O (B, nh, T, hs) as vec4.

{{ROW}}
let qo = index * HS4;
var qr : array<vec4<f32>, HS4>;
var acc : array<vec4<f32>, HS4>;
for (var c = 0; c < HS4; c++) { qr[c] = Q[qo + c] * uniforms.scale; acc[c] = vec4<f32>(0.0); }
var m = -3.0e38;
var l = 0.0;
for (var j = 0; j <= own; j++) {
  {{SOFTMAX_STEP}}
  for (var c = 0; c < HS4; c++) { acc[c] = fma(vec4<f32>(p), V[ko + c], acc[c] * alpha); }
}
var inv = 0.0;
if (l > 0.0) { inv = 1.0 / l; } // no real key: zeros
for (var c = 0; c < HS4; c++) { result[qo + c] = acc[c] * inv; }
