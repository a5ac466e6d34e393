// GELU's backward, one thread per element: dU = dY · gelu'(U) (geluGrad of gelu.wgsl, put before this
// body). Bindings: dY, U; result dU.

result[index] = dY[index] * geluGrad(U[index]);
