// Fused causal attention, backward pass 2 of 3: dQ.
//
// One workgroup = BR query rows of one (b, h), one thread per query row, walking the key tiles
// up to the diagonal like the forward (K and V tiles in workgroup memory, two barriers per
// tile). Per visible key it recomputes p = exp(s - lse) from the saved logsumexp, dp = dO·v,
// ds = p (dp - D), and accumulates dQ += ds·k / sqrt(HS) in registers. Nothing (T, T) is
// ever stored.
//
// Supplied by attention.ts: the tfjs header (Q, K, V, dO, Packed = the forward's [O | lse], Delta
// [, KeyValid], result), the constants HS, BR, BC (BR ≤ BC), and fn keyIsValid(b, j) -> bool.
// Output: dQ (B, nh, Tq, HS).

// the K tile then the V tile (BC, HS) each; at the start, the staging area of the Q and dO tiles
var<workgroup> KVs : array<f32, 2 * BC * HS>;
var<workgroup> tileCount : i32;

fn attentionBackwardDq() {
  let r = i32(localId.x);
  let b = i32(workgroupId.z);
  let h = i32(workgroupId.y);
  let nh = uniforms.qShape.y;
  let Tq = uniforms.qShape.z;
  let Tk = uniforms.kShape.z;
  let past = Tk - Tq;
  let bh = b * nh + h;
  let q0 = i32(workgroupId.x) * BR;
  let i = q0 + r;
  let qBase = bh * Tq * HS;
  let kBase = bh * Tk * HS;

  for (var e = r; e < BR * HS; e += BR) {
    var qx = 0.0;
    var gx = 0.0;
    if (q0 + e / HS < Tq) {
      qx = Q[qBase + q0 * HS + e];
      gx = dO[qBase + q0 * HS + e];
    }
    KVs[e] = qx;
    KVs[BC * HS + e] = gx;
  }
  if (r == 0) { tileCount = (past + min(q0 + BR, Tq) + BC - 1) / BC; }
  let nTiles = workgroupUniformLoad(&tileCount);
  let scale = inverseSqrt(f32(HS));
  var q : array<f32, HS>;
  var g : array<f32, HS>;
  for (var d = 0; d < HS; d++) {
    q[d] = KVs[r * HS + d] * scale;
    g[d] = KVs[BC * HS + r * HS + d];
  }
  var lse = 0.0;
  var delta = 0.0;
  if (i < Tq) {
    lse = Packed[uniforms.qShape.x * nh * Tq * HS + bh * Tq + i];
    delta = Delta[bh * Tq + i];
  }

  var dq : array<f32, HS>;
  for (var t = 0; t < nTiles; t++) {
    let k0 = t * BC;
    workgroupBarrier();
    for (var e = r; e < BC * HS; e += BR) {
      var kx = 0.0;
      var vx = 0.0;
      if (k0 + e / HS < Tk) {
        kx = K[kBase + k0 * HS + e];
        vx = V[kBase + k0 * HS + e];
      }
      KVs[e] = kx;
      KVs[BC * HS + e] = vx;
    }
    workgroupBarrier();

    let n = clamp(past + i - k0 + 1, 0, BC);
    if (i < Tq) {
      for (var c = 0; c < n; c++) {
        if (keyIsValid(b, k0 + c)) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0; d < HS; d++) {
            s += q[d] * KVs[c * HS + d];
            dp += g[d] * KVs[BC * HS + c * HS + d];
          }
          let ds = exp(s - lse) * (dp - delta);
          for (var d = 0; d < HS; d++) { dq[d] += ds * KVs[c * HS + d]; }
        }
      }
    }
  }

  if (i < Tq) {
    for (var d = 0; d < HS; d++) { result[qBase + i * HS + d] = dq[d] * scale; }
  }
}
