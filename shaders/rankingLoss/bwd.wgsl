// The ranking loss's gradient, one thread per score s_pk (fwd.wgsl's loss; σ(x) = 1/(1 + exp(−x))):
//   dS_pk = −dy/(P·C(K,2)) · (Σ_{j>k} σ(s_pj − s_pk) − Σ_{i<k} σ(s_pk − s_pi))
// Bindings: S (P, K), dY (1); result (P, K). Uniforms: P, K.

let K = uniforms.K;
let p = index / K;
let k = index - p * K;
let sk = S[index];
var g = 0.0;
for (var j = k + 1; j < K; j++) { g += 1.0 / (1.0 + exp(sk - S[p * K + j])); }
for (var i = 0; i < k; i++) { g -= 1.0 / (1.0 + exp(S[p * K + i] - sk)); }
result[index] = -dY[0] * g / (f32(uniforms.P) * f32(K * (K - 1) / 2));
