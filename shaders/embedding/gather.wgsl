// Embedding forward: x[r, c] = wte[token r, c] + wpe[position r, c], one thread per element (ids
// clamped to the tables). Hole: POS, the position of row r (Pos[r], or r % T without positions).
// Bindings: Tok (N) i32, Wte (V, C), Wpe (P, C) [, Pos (N) i32]; result (N, C).

let r = index / uniforms.C;
let c = index - r * uniforms.C;
let t = clamp(Tok[r], 0, uniforms.V - 1);
let p = clamp({{POS}}, 0, uniforms.P - 1);
result[index] = Wte[t * uniforms.C + c] + Wpe[p * uniforms.C + c];
