// One parameter's AdamW update in update.wgsl (hole I: its number in the chunk): g clipped by Coef[1],
// the moments, the bias-corrected step, decoupled weight decay wd·p (wd = 0 on vectors).

if (index < uniforms.n{{I}}) {
  let p = P{{I}}[index];
  let g = G{{I}}[index] * Coef[1];
  let mNew = M{{I}}[index] * uniforms.beta1 + g * (1.0 - uniforms.beta1);
  let vNew = V{{I}}[index] * uniforms.beta2 + g * g * (1.0 - uniforms.beta2);
  let upd = (mNew / Coef[3]) / (sqrt(vNew / Coef[4]) + uniforms.eps);
  P{{I}}[index] = p - uniforms.lr * (upd + uniforms.wd{{I}} * p);
  M{{I}}[index] = mNew;
  V{{I}}[index] = vNew;
}
