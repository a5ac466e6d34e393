// Fused causal attention, forward (flash-style, online softmax).
//
// One workgroup = one tile of BR query rows of one (batch b, head h); it walks the key tiles of
// BC keys left to right, keeping a running max m, running sum l and an unnormalised output per
// row, and stops at the diagonal (tiles entirely above it are never loaded).
//
// Threads: workgroup (BC, BR, 1). Thread (tx, ty) scores query row ty against key tx of the
// current tile, and owns head dims d = tx + x·BC (x < DPT) of row ty's output.
//
// Query i (0..Tq-1) sits at key position past + i, past = Tk - Tq; key j is visible to it when
// j ≤ past + i and keyIsValid(b, j). A row with no visible key writes zeros (and lse 0).
//
// Supplied by attention.ts before this text: the tfjs header (Q, K, V [, KeyValid], result,
// uniforms.{q,k}Shape), the constants HS, BR, BC, DPT, KST, WRITE_LSE, NEG, and
// fn keyIsValid(b: i32, j: i32) -> bool.
//
// Output: WRITE_LSE = false: O (B, nh, Tq, HS).
//         WRITE_LSE = true : packed [O (B·nh·Tq·HS) | lse (B·nh·Tq)], lse = m + log(l) per row.

var<workgroup> Qs : array<f32, BR * HS>;       // query tile (BR, HS)
var<workgroup> Ks : array<f32, BC * KST>;      // key tile (BC, HS), rows padded to KST
var<workgroup> Vs : array<f32, BC * HS>;       // value tile (BC, HS)
var<workgroup> Ss : array<f32, BR * BC>;       // scores of this tile (BR, BC)
var<workgroup> Ps : array<f32, BR * BC>;       // exp(s - m_new) of this tile (BR, BC)
var<workgroup> tileCount : i32;

fn attentionForward() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let tid = i32(localIndex);
  let b = i32(workgroupId.z);
  let h = i32(workgroupId.y);
  let nh = uniforms.qShape.y;
  let Tq = uniforms.qShape.z;
  let Tk = uniforms.kShape.z;
  let past = Tk - Tq;
  let scale = inverseSqrt(f32(HS));
  let bh = b * nh + h;
  let q0 = i32(workgroupId.x) * BR;
  let i = q0 + ty; // this thread's query row
  let qBase = bh * Tq * HS;
  let kBase = bh * Tk * HS;

  for (var e = tid; e < BR * HS; e += BR * BC) {
    let r = q0 + e / HS;
    var x = 0.0;
    if (r < Tq) { x = Q[qBase + r * HS + e % HS]; }
    Qs[e] = x;
  }
  // causal skip: the last row of this tile sees keys up to past + min(q0 + BR, Tq) - 1
  if (tid == 0) { tileCount = (past + min(q0 + BR, Tq) + BC - 1) / BC; }
  let nTiles = workgroupUniformLoad(&tileCount); // also the barrier after the Q tile load

  var m = NEG;
  var l = 0.0;
  var acc : array<f32, DPT>;
  for (var t = 0; t < nTiles; t++) {
    let k0 = t * BC;
    for (var e = tid; e < BC * HS; e += BR * BC) {
      let c = e / HS;
      let d = e % HS;
      var kx = 0.0;
      var vx = 0.0;
      if (k0 + c < Tk) {
        kx = K[kBase + (k0 + c) * HS + d];
        vx = V[kBase + (k0 + c) * HS + d];
      }
      Ks[c * KST + d] = kx;
      Vs[e] = vx;
    }
    workgroupBarrier();

    // s = q_i · k_j / sqrt(HS) for (row ty, key tx)
    let j = k0 + tx;
    let visible = i < Tq && j < Tk && j <= past + i && keyIsValid(b, j);
    var s = NEG;
    if (visible) {
      var qk = 0.0;
      for (var d = 0; d < HS; d++) { qk += Qs[ty * HS + d] * Ks[tx * KST + d]; }
      s = qk * scale;
    }
    Ss[ty * BC + tx] = s;
    workgroupBarrier();

    // online softmax: new running max, rescale factor, this tile's probabilities
    var mNew = m;
    for (var c = 0; c < BC; c++) { mNew = max(mNew, Ss[ty * BC + c]); }
    let alpha = exp(m - mNew);
    var p = 0.0;
    if (visible) { p = exp(s - mNew); }
    Ps[ty * BC + tx] = p;
    workgroupBarrier();

    var pSum = 0.0;
    for (var x = 0; x < DPT; x++) { acc[x] *= alpha; }
    for (var c = 0; c < BC; c++) {
      let pc = Ps[ty * BC + c];
      pSum += pc;
      for (var x = 0; x < DPT; x++) {
        let d = tx + x * BC;
        if (d < HS) { acc[x] += pc * Vs[c * HS + d]; }
      }
    }
    l = l * alpha + pSum;
    m = mNew;
    workgroupBarrier(); // Ks/Vs/Ps are rewritten by the next tile
  }

  if (i < Tq) {
    var inv = 0.0;
    if (l > 0.0) { inv = 1.0 / l; }
    for (var x = 0; x < DPT; x++) {
      let d = tx + x * BC;
      if (d < HS) { result[qBase + i * HS + d] = acc[x] * inv; }
    }
    if (WRITE_LSE && tx == 0) {
      var lse = 0.0;
      if (l > 0.0) { lse = m + log(l); }
      result[uniforms.qShape.x * nh * Tq * HS + bh * Tq + i] = lse;
    }
  }
}
