// LayerNorm forward, pass 1: [mean, rstd] of each row of X (N, C), one thread per row, two plain
// loops. Bindings: X; result (N, 2). Uniforms: C, eps.

let base = index * uniforms.C;
var s = 0.0;
for (var c = 0; c < uniforms.C; c++) { s += X[base + c]; }
let mean = s / f32(uniforms.C);
var v = 0.0;
for (var c = 0; c < uniforms.C; c++) { let d = X[base + c] - mean; v += d * d; }
result[2 * index] = mean;
result[2 * index + 1] = inverseSqrt(v / f32(uniforms.C) + uniforms.eps);
