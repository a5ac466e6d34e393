// Fused causal attention, backward pass 3 of 3: dK and dV.
//
// One workgroup = BC keys of one (b, h), one thread per key. It walks the query tiles of BR
// queries from the diagonal down (queries that cannot see these keys are skipped), with the Q
// and dO tiles and their lse and D in workgroup memory (two barriers per tile). Per visible
// (query, key) pair it recomputes p = exp(s - lse) and ds = p (dO·v - D), and accumulates
// dV += p·dO and dK += ds·q / sqrt(HS) in registers.
//
// Supplied by programs.ts: the tfjs header (Q, K, V, dO as vec4 arrays; Packed = the forward's
// [O | lse], Delta [, KeyValid] as f32 arrays; result), the constants HS, HS4 = HS / 4, BR, BC
// (BC ≤ BR), fn keyIsValid(b, j) -> bool, loadKV and loadQG (load_tile.wgsl), store4 (store.wgsl).
// Hole: TILE_INDEX (tile_index.wgsl). Output: packed [dK (B·nh·Tk·HS) | dV (B·nh·Tk·HS)].

// the Q tile then the dO tile (BR, HS) each; at the start, the staging area of the K and V tiles
var<workgroup> tiles : array<vec4<f32>, 2 * BR * HS4>;
var<workgroup> lses : array<f32, BR>;
var<workgroup> deltas : array<f32, BR>;
var<workgroup> firstTile : i32;

fn attentionBackwardDkDv() {
  {{TILE_INDEX}}
  let k0 = i32(workgroupId.x) * BC;
  let j = k0 + r; // this thread's key
  let lseBase = uniforms.qShape.x * nh * Tq * HS + bh * Tq;

  loadKV(r, BC, k0, kBase, Tk, BR * HS4);
  // causal skip: query i sees key k0 only when past + i ≥ k0
  if (r == 0) { firstTile = max(0, k0 - past) / BR; }
  let t0 = workgroupUniformLoad(&firstTile);
  let nTiles = (Tq + BR - 1) / BR;
  var k : array<vec4<f32>, HS4>;
  var v : array<vec4<f32>, HS4>;
  for (var d = 0; d < HS4; d++) {
    k[d] = tiles[r * HS4 + d] * scale;
    v[d] = tiles[(BR + r) * HS4 + d];
  }
  let keyOk = j < Tk && keyIsValid(b, j);

  var dk : array<vec4<f32>, HS4>;
  var dv : array<vec4<f32>, HS4>;
  for (var t = t0; t < nTiles; t++) {
    let i0 = t * BR;
    workgroupBarrier();
    loadQG(r, BC, i0, qBase, Tq, BR * HS4);
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
        for (var d = 0; d < HS4; d++) {
          s += dot(tiles[c * HS4 + d], k[d]);
          dp += dot(tiles[(BR + c) * HS4 + d], v[d]);
        }
        let p = exp(s - lses[c]);
        let ds = p * (dp - deltas[c]);
        for (var d = 0; d < HS4; d++) {
          dv[d] += p * tiles[(BR + c) * HS4 + d];
          dk[d] += ds * tiles[c * HS4 + d];
        }
      }
    }
  }

  if (j < Tk) {
    let o = (kBase + j * HS4) * 4;
    let half = uniforms.kShape.x * nh * Tk * HS;
    for (var d = 0; d < HS4; d++) {
      store4(o + 4 * d, dk[d] * scale);
      store4(half + o + 4 * d, dv[d]);
    }
  }
}
