// Row attention, backward pass 1: per query row [lse (recomputed), D = dO·O, 0, 0].
// Holes (programs.ts): ROW_START and SKIP, the key mask or nothing. The `c < HS4` loops are unrolled.
// Bindings: Q, K, O, dO (vec4) [, KV]; result (rows, 4) as vec4.

let i = index % uniforms.T;
{{ROW_START}}
let base = (index - i) * HS4;
let qo = index * HS4;
var qr : array<vec4<f32>, HS4>;
var dd = vec4<f32>(0.0);
for (var c = 0; c < HS4; c++) { qr[c] = Q[qo + c] * uniforms.scale; dd = fma(O[qo + c], dO[qo + c], dd); }
var m = -3.0e38;
var l = 0.0;
for (var j = 0; j <= i; j++) {
  {{SKIP}}
  let ko = base + j * HS4;
  var s4 = vec4<f32>(0.0);
  for (var c = 0; c < HS4; c++) { s4 = fma(qr[c], K[ko + c], s4); }
  let s = s4.x + s4.y + s4.z + s4.w;
  let mNew = max(m, s);
  l = l * exp(m - mNew) + exp(s - mNew);
  m = mNew;
}
// a query with no real key has no lse; the gradient kernels never read it (they skip its keys)
result[index] = vec4<f32>(select(0.0, m + log(l), l > 0.0), dd.x + dd.y + dd.z + dd.w, 0.0, 0.0);
