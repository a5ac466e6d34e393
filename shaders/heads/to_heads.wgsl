// Rows (B·T, W) → heads (B, nh, T, hs): one thread per vec4 of a head tensor, `src` its vec4 in a row of
// X at the part's column 0. Hole WRITE (programs.ts): one part (`result[index] = X[src + uniforms.off4];`)
// or the three of qkv, each to its own output (Q, K, V, columns 0, C and 2C).
// Bindings: X (B·T, W) vec4; written result, or Q, K, V (B, nh, T, hs) vec4.

let d = index % uniforms.hs4;
let rest = index / uniforms.hs4;
let t = rest % uniforms.T;
let bh = rest / uniforms.T;
let h = bh % uniforms.nh;
let b = bh / uniforms.nh;
let src = (b * uniforms.T + t) * uniforms.W4 + h * uniforms.hs4 + d;
{{WRITE}}
