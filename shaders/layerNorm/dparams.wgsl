// LayerNorm backward, dgain = Σ_rows dy∘x̂ and dbias = Σ_rows dy: one thread per column, one plain loop
// over the rows for both. Bindings: X (N, C), Stats (N, 2), dY (N, C); written DGain (C), DBias (C).
// Uniforms: N, C.

var sg = 0.0;
var sb = 0.0;
for (var r = 0; r < uniforms.N; r++) {
  let i = r * uniforms.C + index;
  let dy = dY[i];
  sg += dy * (X[i] - Stats[2 * r]) * Stats[2 * r + 1];
  sb += dy;
}
DGain[index] = sg;
DBias[index] = sb;
