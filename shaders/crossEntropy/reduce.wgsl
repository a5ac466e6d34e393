// Cross-entropy, pass 2: [loss, 1/max(Σ mask, 1)] from the rows, one thread (N is a few thousand
// at most). Bindings: Rows (N, 2), Mask (N); result (2). Uniform: N.

var s = 0.0;
var n = 0.0;
for (var r = 0; r < uniforms.N; r++) { s += Rows[2 * r + 1]; n += Mask[r]; }
let inv = 1.0 / max(n, 1.0);
result[0] = s * inv;
result[1] = inv;
