// AdamW, one thread: Coef = [‖g‖, clip scale, ok, 1 − β1^t, 1 − β2^t, 0, 0, 0] with ok = ‖g‖ finite
// (tested on the bits: WGSL compilers may assume no NaN/Inf) and t = steps + 1; Norm = ‖g‖; and the
// counters in place: Steps += ok, Skipped += 1 − ok. Hole: PARTIALS.
// Bindings: Partials (PARTIALS); written Coef (8), Norm (1), Steps (1, in place), Skipped (1, in place).
// Uniforms: beta1, beta2, clip.

var s = 0.0;
for (var j = 0; j < {{PARTIALS}}; j++) { s += Partials[j]; }
let norm = sqrt(s);
let ok = (bitcast<u32>(norm) & 0x7f800000u) != 0x7f800000u;
var scale = 1.0;
if (uniforms.clip > 0.0) { scale = min(1.0, uniforms.clip / (norm + 1e-6)); }
let t = Steps[0] + 1.0;
Coef[0] = norm;
Coef[1] = select(0.0, scale, ok);
Coef[2] = select(0.0, 1.0, ok);
Coef[3] = 1.0 - pow(uniforms.beta1, t);
Coef[4] = 1.0 - pow(uniforms.beta2, t);
Coef[5] = 0.0;
Coef[6] = 0.0;
Coef[7] = 0.0;
Norm[0] = norm;
let okF = select(0.0, 1.0, ok);
Steps[0] = Steps[0] + okF;
Skipped[0] = Skipped[0] + 1.0 - okF;
