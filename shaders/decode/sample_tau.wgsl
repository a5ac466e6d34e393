// The sampled next token at τ > 0 (a piece of sample.wgsl), mirroring sampleToken with top-k/top-p
// off: r = u·Σw, w_i = exp((l_i − max)/τ), walking the allowed ids by descending logit (ties: lower id
// first) until the running sum passes r. No sort: the first id when r < 1 (its weight), else a
// 32-bucket histogram finds the bucket where the sum passes r and only its ids are ordered.
// Hole: ALLOWED, the test that id i is not banned.

var mx = -3.0e38;
var mn = 3.0e38;
var top = -1; // first in order: the first largest logit (weight exp(0) = 1)
for (var i = 0; i < V; i++) {
  if ({{ALLOWED}}) {
    let li = L[lo + i];
    if (top < 0 || li > mx) { top = i; }
    mx = max(mx, li);
    mn = min(mn, li);
  }
}
var w : array<f32, V>;
var total = 0.0;
for (var i = 0; i < V; i++) {
  var wi = 0.0;
  if ({{ALLOWED}}) { wi = exp((L[lo + i] - mx) * uniforms.invTemp); }
  w[i] = wi;
  total += wi;
}
let r = min(U[draws + before], 0.99999994) * total;
tok = top;
if (r >= 1.0) {
  // Logit histogram (NB buckets, higher bucket = larger logits, so bucket sums respect the
  // order), the bucket where the running sum from the top passes r, then the exact order
  // inside that bucket only.
  var hist : array<f32, NB>;
  for (var k = 0; k < NB; k++) { hist[k] = 0.0; }
  let scale = f32(NB) / max(mx - mn, 1e-30);
  for (var i = 0; i < V; i++) {
    if ({{ALLOWED}}) { hist[min(NB - 1, i32((L[lo + i] - mn) * scale))] += w[i]; }
  }
  var sel = 0;
  var cum = 0.0;
  for (var k = NB - 1; k >= 0; k--) {
    cum += hist[k];
    if (cum > r) { sel = k; break; }
  }
  let start = cum - hist[sel];
  var ids : array<i32, V>;
  var m = 0;
  for (var i = 0; i < V; i++) {
    if ({{ALLOWED}} && min(NB - 1, i32((L[lo + i] - mn) * scale)) == sel) { ids[m] = i; m++; }
  }
  tok = -1;
  var last = -1;
  for (var x = 0; x < m; x++) {
    let i = ids[x];
    let li = L[lo + i];
    if (last < 0 || li < L[lo + last] || (li == L[lo + last] && i > last)) { last = i; }
    var sb = start;
    for (var y = 0; y < m; y++) {
      let j = ids[y];
      let lj = L[lo + j];
      if (lj > li || (lj == li && j < i)) { sb += w[j]; }
    }
    if (tok < 0 && sb <= r && r < sb + w[i]) { tok = i; }
  }
  if (tok < 0) { tok = select(top, last, last >= 0); }
}
