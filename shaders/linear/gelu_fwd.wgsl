// GELU, GPT-2's tanh approximation: one thread per element. Hole: GELU_C = √(2/π).
// Bindings: U (the pre-activation); result.

let x = U[index];
let t = tanh({{GELU_C}} * (x + 0.044715 * x * x * x));
result[index] = 0.5 * x * (1.0 + t);
