// GELU's backward: dU = dY · gelu'(U), with
//   d/dx 0.5x(1+tanh(c(x+ax³))) = 0.5(1+t) + 0.5x(1-t²)·c(1+3ax²)
// One thread per element. Hole: GELU_C = √(2/π). Bindings: dY, U; result dU.

let x = U[index];
let t = tanh({{GELU_C}} * (x + 0.044715 * x * x * x));
let d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * {{GELU_C}} * (1.0 + 0.134145 * x * x);
result[index] = dY[index] * d;
