// The row store of the tiled passes (fwd, bwd_dq, bwd_dkdv), put before each of them: their result
// is an f32 array, their rows are vec4s.

// result[o .. o + 3] = y
fn store4(o : i32, y : vec4<f32>) {
  result[o] = y.x;
  result[o + 1] = y.y;
  result[o + 2] = y.z;
  result[o + 3] = y.w;
}
