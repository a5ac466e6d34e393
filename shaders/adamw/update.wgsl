// AdamW update, one thread per element: the new p, m or v (tfjs programs have one output), the old
// value where the step is not ok (Coef[2] = 0). Hole: OUT, the value written (per p/m/v, with or
// without weight decay). Bindings: P, M, V, G, Coef (8); result. Uniforms: beta1, beta2, eps, wd, lr.

let ok = Coef[2] != 0.0;
let p = P[index];
let m = M[index];
let v = V[index];
let g = G[index] * Coef[1];
let mNew = m * uniforms.beta1 + g * (1.0 - uniforms.beta1);
let vNew = v * uniforms.beta2 + g * g * (1.0 - uniforms.beta2);
let upd = (mNew / Coef[3]) / (sqrt(vNew / Coef[4]) + uniforms.eps);
result[index] = {{OUT}};
