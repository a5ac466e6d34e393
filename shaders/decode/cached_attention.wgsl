// Causal attention against the KV cache: one thread per (b, h, query), q, k and v read as vec4
// straight from the cache rows (q | k | v), keys pads[b] .. the query's position, online softmax in
// registers; zeros for a query that sees no key. Output in the merged (rows, C) layout.
// Holes (programs.ts, unrolled over the HS4 vec4s of a head): Q_ROWS, ACC_INIT, DOT, UPDATE, STORE.
// Bindings: Cache (vec4), Pads (B) i32; result (B·Tq, C) vec4.

let i = index % uniforms.Tq;
let bh = index / uniforms.Tq;
let h = bh % uniforms.nh;
let b = bh / uniforms.nh;
let pos = uniforms.t0 + uniforms.q0 + i;
let rowBase = (uniforms.layer * uniforms.B + b) * uniforms.Tmax; // cache row of position 0
let qo = (rowBase + pos) * 3 * C4 + h * HS4;
{{Q_ROWS}}
{{ACC_INIT}}
var m = -3.0e38;
var l = 0.0;
for (var j = max(Pads[b], 0); j <= pos; j++) {
  let ko = (rowBase + j) * 3 * C4 + C4 + h * HS4; // k; v is C4 further
  var s4 = vec4<f32>(0.0);
  {{DOT}}
  let s = s4.x + s4.y + s4.z + s4.w;
  let mNew = max(m, s);
  let alpha = exp(m - mNew);
  let p = exp(s - mNew);
  l = l * alpha + p;
  {{UPDATE}}
  m = mNew;
}
var inv = 0.0;
if (l > 0.0) { inv = 1.0 / l; }
let oo = (b * uniforms.Tq + i) * C4 + h * HS4;
{{STORE}}
