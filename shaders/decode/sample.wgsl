// The next token of row b, predicted on the GPU (op.ts's sampleNext): one thread per row. Rows that
// finished emit PAD and draw nothing; a row finishes on EOS. Unfinished rows take the uniform
// number U[draws + (unfinished rows before it)]. State in and out: [token (B) | finished (B) | draws].
// Holes: PAD, EOS, PICK (sample_greedy.wgsl or sample_tau.wgsl, filled), DRAWN (0 or `open`).
// Bindings: L (B, V) logits, U uniforms, Prev (2B + 1) i32; result (2B + 1) i32.

let b = index;
let B = uniforms.B;
var before = 0;
var open = 0;
for (var r = 0; r < B; r++) {
  let u = 1 - Prev[B + r];
  open += u;
  if (r < b) { before += u; }
}
let draws = Prev[2 * B];
let lo = b * V;
var tok = {{PAD}};
var fin = 1;
if (Prev[B + b] == 0) {
  {{PICK}}
  fin = select(0, 1, tok == {{EOS}});
}
result[b] = tok;
result[B + b] = fin;
if (b == 0) { result[2 * B] = draws + {{DRAWN}}; }
