// Cross-entropy backward: d(logits)[r, j] = dy·mask_r/max(Σ mask, 1)·(softmax_j − [j = t_r]), one
// thread per element. Bindings: Logits, Targets, Mask, Rows (N, 2), Stats (2), dY (1); result (N, V).

let r = index / uniforms.V;
let j = index - r * uniforms.V;
let w = Mask[r] * Stats[1] * dY[0];
let p = exp(Logits[index] - Rows[2 * r]);
result[index] = select(0.0, w * (p - select(0.0, 1.0, j == clamp(Targets[r], 0, uniforms.V - 1))), w != 0.0);
