// LayerNorm backward, dgain = Σ_rows dy∘x̂: one thread per column, a plain loop over the rows.
// Bindings: X (N, C), Stats (N, 2), dY (N, C); result (C). Uniforms: N, C.

var s = 0.0;
for (var r = 0; r < uniforms.N; r++) {
  let i = r * uniforms.C + index;
  s += dY[i] * (X[i] - Stats[2 * r]) * Stats[2 * r + 1];
}
result[index] = s;
