import { send } from './run.svelte';

/** Engine switches the page sends to the worker: fused WGSL kernels (webgpu) or the composed tfjs ops. */
export const engineSettings = $state({ fusedKernels: true });

export function chooseFusedKernels(on: boolean): void {
  engineSettings.fusedKernels = on;
  send({ type: 'settings', fusedKernels: on });
}
