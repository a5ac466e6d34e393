// LayerNorm forward, one thread per row of X (N, C), plain loops: [mean, rstd] of the row (Stats, kept
// for the backward pass), then Y = (x − mean)·rstd·gain + bias.
// Bindings: X, Gain (C), Bias (C); written Y (N, C), Stats (N, 2). Uniforms: C, eps.

let base = index * uniforms.C;
var s = 0.0;
for (var c = 0; c < uniforms.C; c++) { s += X[base + c]; }
let mean = s / f32(uniforms.C);
var v = 0.0;
for (var c = 0; c < uniforms.C; c++) { let d = X[base + c] - mean; v += d * d; }
let rstd = inverseSqrt(v / f32(uniforms.C) + uniforms.eps);
Stats[2 * index] = mean;
Stats[2 * index + 1] = rstd;
for (var c = 0; c < uniforms.C; c++) { Y[base + c] = (X[base + c] - mean) * rstd * Gain[c] + Bias[c]; }
