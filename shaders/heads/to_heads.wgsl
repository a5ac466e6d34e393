// Rows (B·T, W) → heads (B, nh, T, hs) of one part (columns off4·4 ..): one thread per vec4 of the
// output. Bindings: X (B·T, W) vec4; result (B, nh, T, hs) vec4.

let d = index % uniforms.hs4;
let rest = index / uniforms.hs4;
let t = rest % uniforms.T;
let bh = rest / uniforms.T;
let h = bh % uniforms.nh;
let b = bh / uniforms.nh;
result[index] = X[(b * uniforms.T + t) * uniforms.W4 + uniforms.off4 + h * uniforms.hs4 + d];
