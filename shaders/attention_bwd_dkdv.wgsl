// Fused causal attention, backward pass 3 of 3: dK and dV.
//
// One workgroup = BC keys of one (b, h), one thread per key. It walks the query tiles of BR
// queries from the diagonal down (queries that cannot see these keys are skipped), with the Q
// and dO tiles and their lse and D in workgroup memory (two barriers per tile). Per visible
// (query, key) pair it recomputes p = exp(s - lse) and ds = p (dO·v - D), and accumulates
// dV += p·dO and dK += ds·q / sqrt(HS) in registers.
//
// Supplied by attention.ts: the tfjs header (Q, K, V, dO, Packed = the forward's [O | lse], Delta
// [, KeyValid], result), the constants HS, BR, BC (BC ≤ BR), and fn keyIsValid(b, j) -> bool.
// Output: packed [dK (B·nh·Tk·HS) | dV (B·nh·Tk·HS)].

// the Q tile then the dO tile (BR, HS) each; at the start, the staging area of the K and V tiles
var<workgroup> QGs : array<f32, 2 * BR * HS>;
var<workgroup> lses : array<f32, BR>;
var<workgroup> deltas : array<f32, BR>;
var<workgroup> firstTile : i32;

fn attentionBackwardDkDv() {
  let r = i32(localId.x);
  let b = i32(workgroupId.z);
  let h = i32(workgroupId.y);
  let nh = uniforms.qShape.y;
  let Tq = uniforms.qShape.z;
  let Tk = uniforms.kShape.z;
  let past = Tk - Tq;
  let bh = b * nh + h;
  let k0 = i32(workgroupId.x) * BC;
  let j = k0 + r; // this thread's key
  let qBase = bh * Tq * HS;
  let kBase = bh * Tk * HS;
  let lseBase = uniforms.qShape.x * nh * Tq * HS + bh * Tq;

  for (var e = r; e < BC * HS; e += BC) {
    var kx = 0.0;
    var vx = 0.0;
    if (k0 + e / HS < Tk) {
      kx = K[kBase + k0 * HS + e];
      vx = V[kBase + k0 * HS + e];
    }
    QGs[e] = kx;
    QGs[BR * HS + e] = vx;
  }
  // causal skip: query i sees key k0 only when past + i ≥ k0
  if (r == 0) { firstTile = max(0, k0 - past) / BR; }
  let t0 = workgroupUniformLoad(&firstTile);
  let nTiles = (Tq + BR - 1) / BR;
  let scale = inverseSqrt(f32(HS));
  var k : array<f32, HS>;
  var v : array<f32, HS>;
  for (var d = 0; d < HS; d++) {
    k[d] = QGs[r * HS + d] * scale;
    v[d] = QGs[BR * HS + r * HS + d];
  }
  let keyOk = j < Tk && keyIsValid(b, j);

  var dk : array<f32, HS>;
  var dv : array<f32, HS>;
  for (var t = t0; t < nTiles; t++) {
    let i0 = t * BR;
    workgroupBarrier();
    for (var e = r; e < BR * HS; e += BC) {
      var qx = 0.0;
      var gx = 0.0;
      if (i0 + e / HS < Tq) {
        qx = Q[qBase + i0 * HS + e];
        gx = dO[qBase + i0 * HS + e];
      }
      QGs[e] = qx;
      QGs[BR * HS + e] = gx;
    }
    for (var e = r; e < BR; e += BC) {
      var lx = 0.0;
      var dx = 0.0;
      if (i0 + e < Tq) {
        lx = Packed[lseBase + i0 + e];
        dx = Delta[bh * Tq + i0 + e];
      }
      lses[e] = lx;
      deltas[e] = dx;
    }
    workgroupBarrier();

    if (keyOk) {
      // queries i ≥ j - past see key j
      for (var c = clamp(j - past - i0, 0, BR); c < min(BR, Tq - i0); c++) {
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0; d < HS; d++) {
          s += QGs[c * HS + d] * k[d];
          dp += QGs[BR * HS + c * HS + d] * v[d];
        }
        let p = exp(s - lses[c]);
        let ds = p * (dp - deltas[c]);
        for (var d = 0; d < HS; d++) {
          dv[d] += p * QGs[BR * HS + c * HS + d];
          dk[d] += ds * QGs[c * HS + d];
        }
      }
    }
  }

  if (j < Tk) {
    let half = uniforms.kShape.x * nh * Tk * HS;
    for (var d = 0; d < HS; d++) {
      result[kBase + j * HS + d] = dk[d] * scale;
      result[half + kBase + j * HS + d] = dv[d];
    }
  }
}
