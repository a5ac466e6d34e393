// The greedy next token (a piece of sample.wgsl): the first largest logit among the allowed ids.
// Hole: ALLOWED, the test that id i is not banned.

var best = -1;
var bestL = 0.0;
for (var i = 0; i < V; i++) {
  let li = L[lo + i];
  if ({{ALLOWED}} && (best < 0 || li > bestL)) { best = i; bestL = li; }
}
tok = best;
_ = U[0]; // keep the binding (layout 'auto' drops unused ones)
