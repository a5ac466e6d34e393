/**
 * Whether the model and the PPO trainer use the fused WGSL kernels (on webgpu) or the composed
 * tfjs-op references. A setting, so the UI and the benchmark can compare the two.
 */
let fused = true;

export function setFusedKernels(on: boolean): void {
  fused = on;
}

export function fusedKernelsEnabled(): boolean {
  return fused;
}
