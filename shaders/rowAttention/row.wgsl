// The row setup every row-attention pass starts with: the piece programs.ts puts in its ROW hole.
// `own`: this thread's row of its (b, h) (index = (b·nh + h)·T + own), its query (fwd, stats, dQ) or
// its key (dK, dV); `base`: the first row of this (b, h), in vec4s. Hole: ROW_START (the key mask's
// row offset, or nothing).

let own = index % uniforms.T;
{{ROW_START}}
let base = (index - own) * HS4;
