// Decode LayerNorm of the rows of X (N, C), eps 1e-5, as layerNorm() computes it: one thread per row.
// Bindings: X, G (gain), Bt (bias), all vec4; result (N, C) vec4. Uniforms: C, C4.

let base = index * uniforms.C4;
var s = vec4<f32>(0.0);
for (var k = 0; k < uniforms.C4; k++) { s += X[base + k]; }
let mean = (s.x + s.y + s.z + s.w) / f32(uniforms.C);
var v = vec4<f32>(0.0);
for (var k = 0; k < uniforms.C4; k++) { let d = X[base + k] - vec4<f32>(mean); v += d * d; }
let rstd = inverseSqrt((v.x + v.y + v.z + v.w) / f32(uniforms.C) + 1e-5);
for (var k = 0; k < uniforms.C4; k++) { result[base + k] = (X[base + k] - vec4<f32>(mean)) * rstd * G[k] + Bt[k]; }
