// Fused causal attention, backward pass 1 of 3: D = rowsum(dO ∘ O), one thread per query row.
//
// Supplied by programs.ts: the tfjs header (Packed = the forward's [O | lse], dO, result,
// uniforms.dOShape) and the constant HS. Output: D (B·nh·Tq).

fn attentionDelta(row : i32) {
  let rows = uniforms.dOShape.x * uniforms.dOShape.y * uniforms.dOShape.z;
  if (row >= rows) { return; }
  var acc = 0.0;
  for (var d = 0; d < HS; d++) { acc += dO[row * HS + d] * Packed[row * HS + d]; }
  result[row] = acc;
}
