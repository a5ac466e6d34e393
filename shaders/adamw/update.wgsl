// AdamW update of a chunk of parameters, one thread per element index (of the largest): each
// parameter's p, m and v written IN PLACE; nothing is written when the step is not ok (Coef[2] = 0:
// the old values stay). Hole: PARAMS (update_param.wgsl per parameter).
// Bindings: Coef (8), G0, G1, …; written in place P0, M0, V0, P1, M1, V1, …
// Uniforms: beta1, beta2, eps, lr, then n0, wd0, n1, wd1, … (size and weight decay, 0 for none).

if (Coef[2] == 0.0) { return; }
{{PARAMS}}
