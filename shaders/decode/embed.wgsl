// Decode embedding: row b·T + τ = wte[token] + wpe[max(0, t0 + τ − pads[b])] (clamped to the tables),
// the token read at Tok[(b·T + τ)·stride + offset]. One thread per vec4 of the output.
// Bindings: Tok i32, Pads (B) i32, Wte (vec4), Wpe (vec4); result (B·T, C) vec4.

let r = index / uniforms.C4;
let c = index - r * uniforms.C4;
let b = r / uniforms.T;
let tok = clamp(Tok[r * uniforms.stride + uniforms.offset], 0, uniforms.V - 1);
let p = clamp(uniforms.t0 + r - b * uniforms.T - Pads[b], 0, uniforms.P - 1);
result[index] = Wte[tok * uniforms.C4 + c] + Wpe[p * uniforms.C4 + c];
