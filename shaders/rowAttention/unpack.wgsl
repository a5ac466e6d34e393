// A vec4 copy out of a packed buffer, from vec4 `off4` on (dK and dV out of [dK | dV]).

result[index] = X[index + uniforms.off4];
