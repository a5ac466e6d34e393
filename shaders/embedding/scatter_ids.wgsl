// Embedding backward through ids: d(table)[row] = Σ_{r: Ids[r] = row} dX[r], one thread per table
// row scanning the N ids (every dX row is added by exactly one thread; no atomics).
// Bindings: dX (N, C), Ids (N) i32; result (rows, C).

let o = index * uniforms.C;
for (var c = 0; c < uniforms.C; c++) { result[o + c] = 0.0; }
for (var r = 0; r < uniforms.N; r++) {
  if (clamp(Ids[r], 0, uniforms.rows - 1) == index) {
    let i = r * uniforms.C;
    for (var c = 0; c < uniforms.C; c++) { result[o + c] += dX[i + c]; }
  }
}
