// The Q/dO tile load shared by the backward tiled passes (bwd_dq, bwd_dkdv), after load_kv.wgsl (same
// conventions; queries past Tq are loaded as zeros). The forward has no dO binding, so it is not given this.

// Q and dO rows q0 .. q0 + BR - 1 of one (b, h) (qBase: its first row, in vec4s) → tiles[0 ..) and tiles[off ..)
fn loadQG(r : i32, threads : i32, q0 : i32, qBase : i32, Tq : i32, off : i32) {
  for (var e = r; e < BR * HS4; e += threads) {
    var qx = vec4<f32>(0.0);
    var gx = vec4<f32>(0.0);
    if (q0 + e / HS4 < Tq) {
      qx = Q[qBase + q0 * HS4 + e];
      gx = dO[qBase + q0 * HS4 + e];
    }
    tiles[e] = qx;
    tiles[off + e] = gx;
  }
}
