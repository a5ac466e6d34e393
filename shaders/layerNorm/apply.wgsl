// LayerNorm forward, pass 2: y = (x − mean)·rstd·gain + bias, one thread per element.
// Bindings: X (N, C), Stats (N, 2), Gain (C), Bias (C); result (N, C). Uniform: C.

let r = index / uniforms.C;
let c = index - r * uniforms.C;
result[index] = (X[index] - Stats[2 * r]) * Stats[2 * r + 1] * Gain[c] + Bias[c];
