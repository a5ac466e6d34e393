// Fused causal attention, forward (flash-style, online softmax).
//
// One workgroup = one tile of BR query rows of one (batch b, head h); one thread per query row.
// The workgroup walks the key tiles of BC keys left to right: the K and V tiles are loaded into
// workgroup memory cooperatively (coalesced), then every thread scores its row against the tile,
// updates its running max m and sum l once per tile (online softmax) and accumulates its
// unnormalised output row in registers. Tiles entirely above the diagonal are never loaded.
// Two barriers per key tile and BR/4 SIMD groups per workgroup: barriers are what costs on
// SwiftShader (tfjs's own reductions are its slowest kernels there), FMAs are cheap.
//
// Query i (0..Tq-1) sits at key position past + i, past = Tk - Tq; key j is visible to it when
// j ≤ past + i and keyIsValid(b, j). A row with no visible key writes zeros (and lse 0).
//
// Supplied by programs.ts before this text: the tfjs header (Q, K, V [, KeyValid], result,
// uniforms.{q,k}Shape; Q, K, V bound as vec4 arrays), the constants HS, HS4 = HS / 4, BR, BC,
// WRITE_LSE, fn keyIsValid(b: i32, j: i32) -> bool, loadKV (load_tile.wgsl) and store4 (store.wgsl).
// Rows are handled as HS4 vec4s. Hole: TILE_INDEX (tile_index.wgsl: r, b, nh, Tq, Tk, past, bh,
// qBase, kBase, scale).
//
// Output: WRITE_LSE = false: O (B, nh, Tq, HS).
//         WRITE_LSE = true : packed [O (B·nh·Tq·HS) | lse (B·nh·Tq)], lse = m + log(l) per row
//         (scores scaled by 1/sqrt(HS)).

// score of a masked (query, key) pair; its probability is set to 0 explicitly, so a row with no
// visible key keeps m = NEG, l = 0 (never exp(-inf - -inf) = NaN)
const NEG : f32 = -1.0e30;

// the K tile then the V tile (BC, HS) each; at the start, the staging area of the Q tile (BR ≤ 2·BC)
var<workgroup> tiles : array<vec4<f32>, 2 * BC * HS4>;
var<workgroup> tileCount : i32;

fn attentionForward() {
  {{TILE_INDEX}}
  let q0 = i32(workgroupId.x) * BR;
  let i = q0 + r; // this thread's query

  // Q tile → workgroup memory (coalesced) → this thread's row in registers, pre-scaled
  for (var e = r; e < BR * HS4; e += BR) {
    var x = vec4<f32>(0.0);
    if (q0 + e / HS4 < Tq) { x = Q[qBase + q0 * HS4 + e]; }
    tiles[e] = x;
  }
  // causal skip: the last row of this tile sees keys up to past + min(q0 + BR, Tq) - 1
  if (r == 0) { tileCount = (past + min(q0 + BR, Tq) + BC - 1) / BC; }
  let nTiles = workgroupUniformLoad(&tileCount); // also the barrier after the Q tile store
  var q : array<vec4<f32>, HS4>;
  for (var d = 0; d < HS4; d++) { q[d] = tiles[r * HS4 + d] * scale; }

  var m = NEG;
  var l = 0.0;
  var acc : array<vec4<f32>, HS4>;
  var s : array<f32, BC>;
  for (var t = 0; t < nTiles; t++) {
    let k0 = t * BC;
    workgroupBarrier(); // everyone is done with the previous tile (or the Q staging)
    loadKV(r, BR, k0, kBase, Tk, BC * HS4);
    workgroupBarrier();

    // keys k0 .. k0 + n - 1 of this tile are causally visible to query i
    let n = clamp(past + i - k0 + 1, 0, BC);
    if (i < Tq && n > 0) {
      var mNew = m;
      for (var c = 0; c < n; c++) {
        var sc = NEG;
        if (keyIsValid(b, k0 + c)) {
          sc = 0.0;
          for (var d = 0; d < HS4; d++) { sc += dot(q[d], tiles[c * HS4 + d]); }
          mNew = max(mNew, sc);
        }
        s[c] = sc;
      }
      let alpha = exp(m - mNew);
      l *= alpha;
      for (var d = 0; d < HS4; d++) { acc[d] *= alpha; }
      m = mNew;
      for (var c = 0; c < n; c++) {
        if (s[c] > NEG) {
          let p = exp(s[c] - m);
          l += p;
          for (var d = 0; d < HS4; d++) { acc[d] += p * tiles[(BC + c) * HS4 + d]; }
        }
      }
    }
  }

  if (i < Tq) {
    var inv = 0.0;
    if (l > 0.0) { inv = 1.0 / l; }
    let o = (qBase + i * HS4) * 4;
    for (var d = 0; d < HS4; d++) { store4(o + 4 * d, acc[d] * inv); }
    if (WRITE_LSE) {
      var lse = 0.0;
      if (l > 0.0) { lse = m + log(l); }
      result[uniforms.qShape.x * nh * Tq * HS + bh * Tq + i] = lse;
    }
  }
}
