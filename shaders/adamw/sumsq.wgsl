// AdamW, the gradient norm, pass 1 (once per chunk of parameters, chained): partials[i] = INIT + Σ g²
// over the elements i, i + PARTIALS, … of each gradient G0, G1, … of the chunk in turn (parameter order,
// so the sum is the one a pass per parameter makes); PARTIALS threads, no reduction tree, no barrier.
// Holes: INIT (Prev[index], the previous chunk's partials, or 0.0), TERMS (sumsq_term.wgsl per gradient).
// Bindings: G0, G1, … [, Prev (PARTIALS)]; result (PARTIALS). Uniforms: n0, n1, … (gradient sizes).

var s = {{INIT}};
{{TERMS}}
result[index] = s;
