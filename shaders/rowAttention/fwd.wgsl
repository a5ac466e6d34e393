// Row attention, forward: one thread per query row (index = (b·nh + h)·T + i), keys j ≤ i read
// straight from global memory, online softmax in registers; zeros when the row sees no real key.
// Holes (programs.ts): ROW_START and SKIP, the key mask or nothing. The `c < HS4` loops are unrolled.
// Bindings: Q, K, V (vec4) [, KV (B, T) key mask]; result O (B, nh, T, hs) as vec4.

let i = index % uniforms.T;
{{ROW_START}}
let base = (index - i) * HS4; // first row of this (b, h), in vec4s
let qo = index * HS4;
var qr : array<vec4<f32>, HS4>;
var acc : array<vec4<f32>, HS4>;
for (var c = 0; c < HS4; c++) { qr[c] = Q[qo + c] * uniforms.scale; acc[c] = vec4<f32>(0.0); }
var m = -3.0e38;
var l = 0.0;
for (var j = 0; j <= i; j++) {
  {{SKIP}}
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
for (var c = 0; c < HS4; c++) { result[qo + c] = acc[c] * inv; }
