// One gradient's term of sumsq.wgsl: its elements index, index + PARTIALS, … added to s.
// Holes: G (the binding), N (its size uniform), PARTIALS.

for (var j = index; j < uniforms.{{N}}; j += {{PARTIALS}}) { let x = {{G}}[j]; s += x * x; }
