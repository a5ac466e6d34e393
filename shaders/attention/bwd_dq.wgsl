// Fused causal attention, backward pass 2 of 3: dQ.
//
// One workgroup = BR query rows of one (b, h), one thread per query row, walking the key tiles
// up to the diagonal like the forward (K and V tiles in workgroup memory, two barriers per
// tile). Per visible key it recomputes p = exp(s - lse) from the saved logsumexp, dp = dO·v,
// ds = p (dp - D), and accumulates dQ += ds·k / sqrt(HS) in registers. Nothing (T, T) is
// ever stored.
//
// Supplied by programs.ts: the tfjs header (Q, K, V, dO as vec4 arrays; Packed = the forward's
// [O | lse], Delta [, KeyValid] as f32 arrays; result), the constants HS, HS4 = HS / 4, BR, BC
// (BR ≤ BC), fn keyIsValid(b, j) -> bool, loadKV and loadQG (load_tile.wgsl), store4 (store.wgsl).
// Hole: TILE_INDEX (tile_index.wgsl). Output: dQ (B, nh, Tq, HS).

// the K tile then the V tile (BC, HS) each; at the start, the staging area of the Q and dO tiles
var<workgroup> tiles : array<vec4<f32>, 2 * BC * HS4>;
var<workgroup> tileCount : i32;

fn attentionBackwardDq() {
  {{TILE_INDEX}}
  let q0 = i32(workgroupId.x) * BR;
  let i = q0 + r;

  loadQG(r, BR, q0, qBase, Tq, BC * HS4);
  if (r == 0) { tileCount = (past + min(q0 + BR, Tq) + BC - 1) / BC; }
  let nTiles = workgroupUniformLoad(&tileCount);
  var q : array<vec4<f32>, HS4>;
  var g : array<vec4<f32>, HS4>;
  for (var d = 0; d < HS4; d++) {
    q[d] = tiles[r * HS4 + d] * scale;
    g[d] = tiles[(BC + r) * HS4 + d];
  }
  var lse = 0.0;
  var delta = 0.0;
  if (i < Tq) {
    lse = Packed[uniforms.qShape.x * nh * Tq * HS + bh * Tq + i];
    delta = Delta[bh * Tq + i];
  }

  var dq : array<vec4<f32>, HS4>;
  for (var t = 0; t < nTiles; t++) {
    let k0 = t * BC;
    workgroupBarrier();
    loadKV(r, BR, k0, kBase, Tk, BC * HS4);
    workgroupBarrier();

    let n = clamp(past + i - k0 + 1, 0, BC);
    if (i < Tq) {
      for (var c = 0; c < n; c++) {
        if (keyIsValid(b, k0 + c)) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0; d < HS4; d++) {
            s += dot(q[d], tiles[c * HS4 + d]);
            dp += dot(g[d], tiles[(BC + c) * HS4 + d]);
          }
          let ds = exp(s - lse) * (dp - delta);
          for (var d = 0; d < HS4; d++) { dq[d] += ds * tiles[c * HS4 + d]; }
        }
      }
    }
  }

  if (i < Tq) {
    let o = (qBase + i * HS4) * 4;
    for (var d = 0; d < HS4; d++) { store4(o + 4 * d, dq[d] * scale); }
  }
}
