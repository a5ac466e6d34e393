// Fused PPO-ptx loss, pass 2 of 3: one workgroup sums the per-row numbers of pass 1
// (RL rows (N, 8) and ptx rows (Np, 8), layout in fwd.wgsl) into the scalars:
//
//   n   = max(Σ m, 1)                          np  = max(Σ mp, 1)
//   policyLoss = Σ m·max(pg1, pg2) / n         clipfrac = Σ m·[pg2 > pg1] / n
//   approxKl   = 0.5 · Σ m·logr² / n           entropy  = Σ m·H / n
//   ptxLoss    = Σ mp·(-logp) / np             loss     = policyLoss + ptxCoef · ptxLoss
//
// result (8) = [loss, policyLoss, ptxLoss, clipfrac, approxKl, entropy, 1/n, 1/np];
// the last two are the scales the backward pass (bwd.wgsl) needs.
// Masked rows contribute exactly 0 (select, not multiply: 0 · inf would be NaN).
//
// Environment (programs.ts prepends WG, tfjs-webgpu the rest):
//   const WG: u32 (power of two);  result: array<f32> (8)
//   rl: array<f32> (N, 8);  ptx: array<f32> (Np, 8)
//   uniforms.nRl, uniforms.nPtx: i32;  uniforms.ptxCoef: f32;  localIndex: u32

var<workgroup> accA : array<vec4<f32>, WG>; // Σ m, Σ m·pgMax, Σ m·clipped, Σ m·logr²
var<workgroup> accB : array<vec4<f32>, WG>; // Σ m·H, Σ mp, Σ mp·(-logp), unused

fn main(index : i32) {
  let tid = i32(localIndex);
  var a = vec4<f32>(0.0);
  var b = vec4<f32>(0.0);
  for (var r = tid; r < uniforms.nRl; r += i32(WG)) {
    let o = r * 8;
    let m = rl[o + 3];
    if (m != 0.0) {
      let logr = rl[o + 6];
      a += m * vec4<f32>(1.0, rl[o + 4], rl[o + 5], logr * logr);
      b.x += m * rl[o + 2];
    }
  }
  for (var r = tid; r < uniforms.nPtx; r += i32(WG)) {
    let o = r * 8;
    let m = ptx[o + 3];
    if (m != 0.0) {
      b.y += m;
      b.z -= m * ptx[o + 0];
    }
  }
  accA[tid] = a;
  accB[tid] = b;
  workgroupBarrier();

  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (u32(tid) < stride) {
      accA[tid] += accA[tid + i32(stride)];
      accB[tid] += accB[tid + i32(stride)];
    }
    workgroupBarrier();
  }

  if (tid == 0) {
    let sa = accA[0];
    let sb = accB[0];
    let invN = 1.0 / max(sa.x, 1.0);
    let invNp = 1.0 / max(sb.y, 1.0);
    let policyLoss = sa.y * invN;
    let ptxLoss = sb.z * invNp;
    result[0] = policyLoss + uniforms.ptxCoef * ptxLoss;
    result[1] = policyLoss;
    result[2] = ptxLoss;
    result[3] = sa.z * invN;
    result[4] = 0.5 * sa.w * invN;
    result[5] = sb.x * invN;
    result[6] = invN;
    result[7] = invNp;
  }
}
