// The tile load of the tiled passes (fwd, bwd_dq, bwd_dkdv), one text for two functions: programs.ts
// fills it as loadKV (A = K, B = V, ROWS = BC), put before every tiled pass, and as loadQG (A = Q,
// B = dO, ROWS = BR), put before the backward ones (the forward has no dO binding). Holes: NAME, A, B,
// ROWS. Each pass declares `tiles`, its workgroup memory (two tiles of (rows, HS) vec4 rows), and
// calls the load with its own thread `r` of `threads`: thread r copies every threads-th vec4, so a
// tile is read coalesced. Rows past `len` (Tk or Tq) are loaded as zeros.

// A and B rows x0 .. x0 + ROWS - 1 of one (b, h) (base: its first row, in vec4s) → tiles[0 ..) and tiles[off ..)
fn {{NAME}}(r : i32, threads : i32, x0 : i32, base : i32, len : i32, off : i32) {
  for (var e = r; e < {{ROWS}} * HS4; e += threads) {
    var ax = vec4<f32>(0.0);
    var bx = vec4<f32>(0.0);
    if (x0 + e / HS4 < len) {
      ax = {{A}}[base + x0 * HS4 + e];
      bx = {{B}}[base + x0 * HS4 + e];
    }
    tiles[e] = ax;
    tiles[off + e] = bx;
  }
}
