// Heads (B, nh, T, hs) × P parts → rows (B·T, P·C): one thread per vec4 of the output.
// Holes (programs.ts): P, the part count, and VALUE, the read of part p (a select over H0 .. H{P-1}).
// Bindings: H0 .. H{P-1} (B, nh, T, hs) vec4; result (B·T, P·C) vec4.

let W4 = {{P}} * uniforms.C4;
let r = index / W4;
let col = index - r * W4;
let p = col / uniforms.C4;
let c = col - p * uniforms.C4;
let h = c / uniforms.hs4;
let d = c - h * uniforms.hs4;
let b = r / uniforms.T;
let t = r - b * uniforms.T;
let src = ((b * uniforms.nh + h) * uniforms.T + t) * uniforms.hs4 + d;
result[index] = {{VALUE}};
