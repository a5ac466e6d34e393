// The K/V tile load shared by the tiled passes (fwd, bwd_dq, bwd_dkdv); programs.ts puts this text
// before each of them (and load_qg.wgsl before the backward ones). Each pass declares `tiles`, its
// workgroup memory (two tiles of (rows, HS) vec4 rows), and calls the load with its own thread `r` of
// `threads`: thread r copies every threads-th vec4, so a tile is read coalesced. Keys past Tk are
// loaded as zeros.

// K and V rows k0 .. k0 + BC - 1 of one (b, h) (kBase: its first row, in vec4s) → tiles[0 ..) and tiles[off ..)
fn loadKV(r : i32, threads : i32, k0 : i32, kBase : i32, Tk : i32, off : i32) {
  for (var e = r; e < BC * HS4; e += threads) {
    var kx = vec4<f32>(0.0);
    var vx = vec4<f32>(0.0);
    if (k0 + e / HS4 < Tk) {
      kx = K[kBase + k0 * HS4 + e];
      vx = V[kBase + k0 * HS4 + e];
    }
    tiles[e] = kx;
    tiles[off + e] = vx;
  }
}
