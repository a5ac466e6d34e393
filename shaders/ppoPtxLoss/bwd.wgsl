// Fused PPO-ptx loss, pass 3 of 3 (backward): writes d(logits) (rows, V) directly, one
// workgroup per row, recomputing p = softmax(x) from the saved lse (x = logits · invTemp,
// log p_j = x_j - lse). With dy (8) the upstream gradients of
// [loss, policyLoss, ptxLoss, clipfrac, approxKl, entropy, -, -] and the row numbers of pass 1:
//
//   RL rows:   G = m/n · ((dy0 + dy1)·dpg + dy4·logr)        (d total / d logp)
//              E = m/n · dy5                                  (d total / d H)
//              d z_j = invTemp · (G·(onehot_j - p_j) - E·p_j·(log p_j + H))
//   ptx rows:  d z_j = m/np · (dy0·ptxCoef + dy2) · (p_j - onehot_j)       (invTemp = 1)
//
// clipfrac is piecewise constant: its gradient is 0 (dy3 unused).
// No reduction, no barrier: TPR threads per row, RPW rows per workgroup; a thread handles
// columns lane, lane + TPR, ...
//
// Environment (programs.ts prepends the constants, tfjs-webgpu the rest):
//   const TPR: u32, RPW: u32, WG: u32 = TPR·RPW;  const PTX: bool
//   result: array<f32> (rows, V);  logits: array<f32> (rows, V);  targets: array<i32> (rows)
//   rowStats: array<f32> (rows, 8) from pass 1;  stats: array<f32> (8) from pass 2
//   dy: array<f32> (8);  uniforms.rows, uniforms.vocab: i32;  uniforms.invTemp, ptxCoef: f32

fn main(index : i32) {
  let lane = i32(localIndex) % i32(TPR);
  let row = index / i32(TPR);
  if (row >= uniforms.rows) { return; }
  let V = uniforms.vocab;
  let r = row * 8;
  let lse = rowStats[r + 1];
  let entropy = rowStats[r + 2];
  let m = rowStats[r + 3];

  var g = 0.0; // coefficient of (onehot - p)
  var e = 0.0; // coefficient of -p·(log p + H)
  if (m != 0.0) {
    if (PTX) {
      g = -m * stats[7] * (dy[0] * uniforms.ptxCoef + dy[2]);
    } else {
      let scale = m * stats[6];
      g = scale * ((dy[0] + dy[1]) * rowStats[r + 7] + dy[4] * rowStats[r + 6]);
      e = scale * dy[5];
    }
  }
  g *= uniforms.invTemp;
  e *= uniforms.invTemp;

  let tok = targets[row];
  let base = row * V;
  for (var j = lane; j < V; j += i32(TPR)) {
    let logp = logits[base + j] * uniforms.invTemp - lse;
    let p = exp(logp);
    let onehot = select(0.0, 1.0, j == tok);
    result[base + j] = g * (onehot - p) - e * p * (logp + entropy);
  }
}
