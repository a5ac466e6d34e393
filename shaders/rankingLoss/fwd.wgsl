// The reward model's ranking loss and pairwise accuracy on scores S (P, K), each row one prompt's K
// responses ranked best first (InstructGPT eq. 1); one thread, plain loops:
//   Loss = (1/P) Σ_p (1/C(K,2)) Σ_{i<j} softplus(−(s_pi − s_pj))      (−log σ(s_pi − s_pj))
//   Acc  = Σ_p Σ_{i<j} ([s_pi > s_pj] + ½·[s_pi = s_pj]) / (P·C(K,2))
// with softplus(z) = max(z, 0) + log(1 + exp(−|z|)). Bindings: S; written Loss (1), Acc (1). Uniforms: P, K.

let K = uniforms.K;
let pairs = f32(K * (K - 1) / 2);
var loss = 0.0;
var wins = 0.0;
for (var p = 0; p < uniforms.P; p++) {
  var lp = 0.0;
  for (var i = 0; i < K; i++) {
    for (var j = i + 1; j < K; j++) {
      let d = S[p * K + i] - S[p * K + j];
      lp += max(-d, 0.0) + log(1.0 + exp(-abs(d)));
      wins += select(select(0.0, 0.5, d == 0.0), 1.0, d > 0.0);
    }
  }
  loss += lp / pairs;
}
Loss[0] = loss / f32(uniforms.P);
Acc[0] = wins / max(f32(uniforms.P) * pairs, 1.0);
