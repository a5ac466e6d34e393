// Row attention, backward pass 1: per query row [lse (recomputed), D = dO·O, 0, 0].
// Holes (programs.ts): ROW (row.wgsl) and SOFTMAX_STEP (softmax_step.wgsl), with the key mask or
// nothing. The `c < HS4` loops are unrolled.
// Bindings: Q, K, O, dO (vec4) [, KV]; result (rows, 4) as vec4.

{{ROW}}
let qo = index * HS4;
var qr : array<vec4<f32>, HS4>;
var dd = vec4<f32>(0.0);
for (var c = 0; c < HS4; c++) { qr[c] = Q[qo + c] * uniforms.scale; dd = fma(O[qo + c], dO[qo + c], dd); }
var m = -3.0e38;
var l = 0.0;
for (var j = 0; j <= own; j++) {
  {{SOFTMAX_STEP}}
}
// a query with no real key has no lse; the gradient kernels never read it (they skip its keys)
result[index] = vec4<f32>(select(0.0, m + log(l), l > 0.0), dd.x + dd.y + dd.z + dd.w, 0.0, 0.0);
