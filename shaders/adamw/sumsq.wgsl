// AdamW, the gradient norm, pass 1 (once per parameter, chained): partials[i] = INIT + Σ g² over
// the elements i, i + PARTIALS, … of G; PARTIALS threads, no reduction tree, no barrier.
// Holes: INIT (Prev[index], the previous parameter's partials, or 0.0), PARTIALS.
// Bindings: G [, Prev (PARTIALS)]; result (PARTIALS). Uniform: n.

var s = {{INIT}};
for (var j = index; j < uniforms.n; j += {{PARTIALS}}) { let x = G[j]; s += x * x; }
result[index] = s;
