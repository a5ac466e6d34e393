// One key of the online softmax of fwd and stats: the piece programs.ts puts in the SOFTMAX_STEP hole
// that opens their loop over the keys j ≤ own. Skips a pad key (the SKIP hole: the key mask or
// nothing), scores key j against the pre-scaled query row qr, and moves the running max m and sum l
// on; leaves ko (key j's first vec4), alpha = exp(m_old - m) and p = exp(s - m) to the rest of the
// loop. The `c < HS4` loop is unrolled.

{{SKIP}}
let ko = base + j * HS4;
var s4 = vec4<f32>(0.0);
for (var c = 0; c < HS4; c++) { s4 = fma(qr[c], K[ko + c], s4); }
let s = s4.x + s4.y + s4.z + s4.w;
let mNew = max(m, s);
let alpha = exp(m - mNew);
let p = exp(s - mNew);
l = l * alpha + p;
m = mNew;
