// Causal attention for decoding: one new query per (b, h) against Tk cached keys (Tq = 1, the
// query sits at key position Tk - 1, so every cached key is causally visible; only KeyValid
// masks). Forward only.
//
// One workgroup of WG threads per (b, h). Keys are processed in chunks of WG: thread t scores key
// j0 + t, the chunk's max and probabilities go through workgroup memory (online softmax across
// chunks), then thread t accumulates head dims d = t % DL + x·DL (x < DPT) over the keys
// c ≡ t / DL (mod G) of the chunk. The G partial outputs/sums are combined at the end.
// A query with no valid key writes zeros.
//
// Supplied by programs.ts: the tfjs header (Q, K, V [, KeyValid], result, uniforms.{q,k}Shape),
// the constants HS, WG, DL = min(HS, WG), G = WG / DL, DPT = ceil(HS / DL), and
// fn keyIsValid(b: i32, j: i32) -> bool. Output: O (B, nh, 1, HS).

// score of a masked (query, key) pair; its probability is set to 0 by the visibility flag, so a
// row with no visible key keeps m = NEG, l = 0 (never exp(-inf - -inf) = NaN)
const NEG : f32 = -1.0e30;

var<workgroup> qs : array<f32, HS>;
var<workgroup> Ss : array<f32, WG>;          // scores of this chunk
var<workgroup> Ps : array<f32, WG>;          // exp(s - m_new) of this chunk
var<workgroup> partO : array<f32, WG * DPT>; // per-thread partial outputs, combined at the end
var<workgroup> partL : array<f32, WG>;       // per-thread partial sums

fn attentionDecode() {
  let t = i32(localIndex);
  let b = i32(workgroupId.y);
  let h = i32(workgroupId.x);
  let nh = uniforms.qShape.y;
  let Tk = uniforms.kShape.z;
  let scale = inverseSqrt(f32(HS));
  let bh = b * nh + h;
  let kBase = bh * Tk * HS;
  let lane = t % DL; // first head dim of this thread
  let g = t / DL;    // key group of this thread (g ≥ G: idle in accumulation)

  for (var d = t; d < HS; d += WG) { qs[d] = Q[bh * HS + d]; }
  workgroupBarrier();

  var m = NEG;
  var l = 0.0;
  var acc : array<f32, DPT>;
  for (var j0 = 0; j0 < Tk; j0 += WG) {
    let j = j0 + t;
    let visible = j < Tk && keyIsValid(b, j);
    var s = NEG;
    if (visible) {
      var qk = 0.0;
      for (var d = 0; d < HS; d++) { qk += qs[d] * K[kBase + j * HS + d]; }
      s = qk * scale;
    }
    Ss[t] = s;
    workgroupBarrier();

    var mNew = m;
    for (var c = 0; c < WG; c++) { mNew = max(mNew, Ss[c]); }
    let alpha = exp(m - mNew);
    var p = 0.0;
    if (visible) { p = exp(s - mNew); }
    Ps[t] = p;
    workgroupBarrier();

    l *= alpha;
    for (var x = 0; x < DPT; x++) { acc[x] *= alpha; }
    if (g < G) {
      for (var c = g; c < WG && j0 + c < Tk; c += G) {
        let pc = Ps[c];
        l += pc;
        for (var x = 0; x < DPT; x++) {
          let d = lane + x * DL;
          if (d < HS) { acc[x] += pc * V[kBase + (j0 + c) * HS + d]; }
        }
      }
    }
    m = mNew;
    workgroupBarrier(); // Ss/Ps are rewritten by the next chunk
  }

  // every thread shares the same m, so partial sums combine by plain addition
  for (var x = 0; x < DPT; x++) { partO[t * DPT + x] = acc[x]; }
  partL[t] = l;
  workgroupBarrier();
  if (t < DL) {
    var lsum = 0.0;
    for (var gg = 0; gg < G; gg++) { lsum += partL[gg * DL + t]; }
    var inv = 0.0;
    if (lsum > 0.0) { inv = 1.0 / lsum; }
    for (var x = 0; x < DPT; x++) {
      let d = t + x * DL;
      if (d < HS) {
        var o = 0.0;
        for (var gg = 0; gg < G; gg++) { o += partO[(gg * DL + t) * DPT + x]; }
        result[bh * HS + d] = o * inv;
      }
    }
  }
}
