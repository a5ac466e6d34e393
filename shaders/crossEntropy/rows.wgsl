// Cross-entropy, pass 1: per row r of Logits (N, V) [lse, mask·(lse − logits[r, t_r])], one thread
// per row, two plain loops over V (max, then Σ exp).
// Bindings: Logits, Targets (N) i32, Mask (N); result (N, 2). Uniform: V.

let base = index * uniforms.V;
var m = Logits[base];
for (var j = 1; j < uniforms.V; j++) { m = max(m, Logits[base + j]); }
var s = 0.0;
for (var j = 0; j < uniforms.V; j++) { s += exp(Logits[base + j] - m); }
let lse = m + log(s);
let t = clamp(Targets[index], 0, uniforms.V - 1);
let w = Mask[index];
result[2 * index] = lse;
result[2 * index + 1] = select(0.0, w * (lse - Logits[base + t]), w != 0.0);
