// A copy out of a packed buffer from float `offset` on (O out of [O | lse]; dK and dV out of
// [dK | dV]), one thread per element. Bindings: Src; result. Uniform: offset.

result[index] = Src[index + uniforms.offset];
