// GELU, GPT-2's tanh approximation ("gelu_new"), and its derivative, as functions: programs.ts puts
// this text before the matmul epilogues that use them and before gelu_bwd.wgsl. Hole: GELU_C = √(2/π).
//   gelu(x)      = 0.5x(1 + t),  t = tanh(c(x + 0.044715x³))
//   geluGrad(x)  = d/dx gelu(x) = 0.5(1 + t) + 0.5x(1 − t²)·c(1 + 3·0.044715x²)

fn gelu(x : f32) -> f32 {
  let t = tanh({{GELU_C}} * (x + 0.044715 * x * x * x));
  return 0.5 * x * (1.0 + t);
}

fn geluGrad(x : f32) -> f32 {
  let t = tanh({{GELU_C}} * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * {{GELU_C}} * (1.0 + 0.134145 * x * x);
}
