// Embedding backward without ids (position r % T): d(wpe)[v, c] = Σ_b dX[b·T + v, c], one thread
// per (position, column). Bindings: dX (N, C); result (rows, C).

let v = index / uniforms.C;
let c = index - v * uniforms.C;
var s = 0.0;
if (v < uniforms.T) {
  for (var r = v; r < uniforms.N; r += uniforms.T) { s += dX[r * uniforms.C + c]; }
}
result[index] = s;
