// AdamW, one thread: [‖g‖, clip scale, ok, 1 − β1^t, 1 − β2^t, 0, 0, 0] with ok = ‖g‖ finite (tested
// on the bits: WGSL compilers may assume no NaN/Inf) and t = steps + 1. Hole: PARTIALS.
// Bindings: Partials (PARTIALS), Steps (1); result (8). Uniforms: beta1, beta2, clip.

var s = 0.0;
for (var j = 0; j < {{PARTIALS}}; j++) { s += Partials[j]; }
let norm = sqrt(s);
let ok = (bitcast<u32>(norm) & 0x7f800000u) != 0x7f800000u;
var scale = 1.0;
if (uniforms.clip > 0.0) { scale = min(1.0, uniforms.clip / (norm + 1e-6)); }
let t = Steps[0] + 1.0;
result[0] = norm;
result[1] = select(0.0, scale, ok);
result[2] = select(0.0, 1.0, ok);
result[3] = 1.0 - pow(uniforms.beta1, t);
result[4] = 1.0 - pow(uniforms.beta2, t);
result[5] = 0.0;
result[6] = 0.0;
result[7] = 0.0;
