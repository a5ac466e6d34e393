// LayerNorm backward, dx per row (one thread per row):
//   dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)),  ĝ = dy∘gain, x̂ = (x − mean)·rstd
// Bindings: X (N, C), Stats (N, 2), Gain (C), dY (N, C); result dx (N, C). Uniform: C.

let base = index * uniforms.C;
let mean = Stats[2 * index];
let rstd = Stats[2 * index + 1];
var sg = 0.0;
var sgx = 0.0;
for (var c = 0; c < uniforms.C; c++) {
  let g = dY[base + c] * Gain[c];
  sg += g;
  sgx += g * (X[base + c] - mean) * rstd;
}
let inv = 1.0 / f32(uniforms.C);
sg *= inv;
sgx *= inv;
for (var c = 0; c < uniforms.C; c++) {
  let xh = (X[base + c] - mean) * rstd;
  result[base + c] = rstd * (dY[base + c] * Gain[c] - sg - xh * sgx);
}
