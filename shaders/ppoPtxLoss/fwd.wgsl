// Fused PPO-ptx loss, pass 1 of 3: per row (token) of logits (rows, V), TPR threads
// ("threads per row") and RPW rows per workgroup.
//
// One read of the row gives, by an online softmax (running max M, S = Σ e^(x-M),
// D = Σ e^(x-M)·(x-M)) merged across the row's TPR threads in one tree reduction:
//   lse = M + log S,   H = log S - D / S   (entropy of softmax(x)),   x = logits · invTemp
// then the row's first thread writes its 8 numbers (nothing of size V is written):
//   0 logp = x[target] - lse      1 lse      2 H      3 m = mask
//   4 max(pg1, pg2)               5 [pg2 > pg1]        6 logr = logp - oldLogp
//   7 dpg = d max(pg1, pg2) / d logp = (pg1 >= pg2 ? -A·ρ : 0)
// with ρ = exp(logr), pg1 = -A·ρ, pg2 = -A·clamp(ρ, clipLow, clipHigh).
// Columns 4..7 are 0 on masked rows (m = 0) and on ptx rows (PTX = true), so garbage in
// masked positions can never turn a masked mean into NaN.
//
// Environment (programs.ts prepends the constants, tfjs-webgpu the rest):
//   const TPR: u32, RPW: u32, WG: u32 = TPR·RPW     (TPR a power of two)
//   const PTX: bool          ptx rows: no policy terms (oldLogp/advantages are dummies)
//   result: array<f32>       (rows, 8)
//   logits: array<f32>       (rows, V)      targets: array<i32> (rows)
//   mask, oldLogp, advantages: array<f32> (rows)
//   uniforms.rows, uniforms.vocab: i32;  uniforms.invTemp, clipLow, clipHigh: f32
//   localIndex: u32;  main(index) is called with the flat invocation index
//   (workgroups are consecutive, so row = index / TPR).

var<workgroup> redMax : array<f32, WG>;
var<workgroup> redSum : array<f32, WG>;
var<workgroup> redDot : array<f32, WG>;

// Merge two partial states (M, S, D); S = 0 marks an empty state.
fn mergeState(a : vec3<f32>, b : vec3<f32>) -> vec3<f32> {
  if (b.y == 0.0) { return a; }
  if (a.y == 0.0) { return b; }
  let m = max(a.x, b.x);
  let da = a.x - m;
  let db = b.x - m;
  let ea = exp(da);
  let eb = exp(db);
  return vec3<f32>(m, a.y * ea + b.y * eb, ea * (a.z + a.y * da) + eb * (b.z + b.y * db));
}

// Add one value x to a state.
fn pushValue(st : vec3<f32>, x : f32) -> vec3<f32> {
  if (st.y == 0.0) { return vec3<f32>(x, 1.0, 0.0); }
  if (x > st.x) {
    let d = st.x - x; // < 0: rescale the old terms to the new max
    let e = exp(d);
    return vec3<f32>(x, st.y * e + 1.0, e * (st.z + st.y * d));
  }
  let d = x - st.x;
  let e = exp(d);
  return vec3<f32>(st.x, st.y + e, st.z + e * d);
}

fn main(index : i32) {
  let tid = i32(localIndex);
  let lane = tid % i32(TPR);
  let row = index / i32(TPR);
  let V = uniforms.vocab;
  let valid = row < uniforms.rows;
  let base = row * V;

  var st = vec3<f32>(0.0, 0.0, 0.0);
  if (valid) {
    for (var j = lane; j < V; j += i32(TPR)) {
      st = pushValue(st, logits[base + j] * uniforms.invTemp);
    }
  }
  redMax[tid] = st.x;
  redSum[tid] = st.y;
  redDot[tid] = st.z;
  workgroupBarrier();

  for (var stride = TPR / 2u; stride > 0u; stride = stride >> 1u) {
    if (u32(lane) < stride) {
      let o = tid + i32(stride);
      let merged = mergeState(vec3<f32>(redMax[tid], redSum[tid], redDot[tid]),
                              vec3<f32>(redMax[o], redSum[o], redDot[o]));
      redMax[tid] = merged.x;
      redSum[tid] = merged.y;
      redDot[tid] = merged.z;
    }
    workgroupBarrier();
  }

  if (lane == 0 && valid) {
    let logS = log(redSum[tid]);
    let lse = redMax[tid] + logS;
    let entropy = logS - redDot[tid] / redSum[tid];
    let tok = clamp(targets[row], 0, V - 1);
    let logp = logits[base + tok] * uniforms.invTemp - lse;
    let m = mask[row];

    var pgMax = 0.0;
    var clipped = 0.0;
    var logr = 0.0;
    var dpg = 0.0;
    let old = oldLogp[row];
    let adv = advantages[row];
    if (!PTX && m != 0.0) {
      logr = logp - old;
      let ratio = exp(logr);
      let pg1 = -adv * ratio;
      let pg2 = -adv * clamp(ratio, uniforms.clipLow, uniforms.clipHigh);
      pgMax = max(pg1, pg2);
      clipped = select(0.0, 1.0, pg2 > pg1);
      dpg = select(0.0, pg1, pg1 >= pg2); // pg1 = -A·ρ = d pg1 / d logp
    }

    let o = row * 8;
    result[o + 0] = logp;
    result[o + 1] = lse;
    result[o + 2] = entropy;
    result[o + 3] = m;
    result[o + 4] = pgMax;
    result[o + 5] = clipped;
    result[o + 6] = logr;
    result[o + 7] = dpg;
  }
}
