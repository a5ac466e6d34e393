import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * The glue every custom WGSL kernel shares: run a WebGPUProgram on the active webgpu backend and
 * wrap its output as a normal tfjs tensor (tracked by tidy, disposable, differentiable through
 * the kernel's registered gradient).
 *
 * Programs are cached by `shaderKey`: every compile-time constant must be part of the key.
 */
export type Uniform = { type: 'int32' | 'float32' | 'uint32'; data: number[] };

export function runProgram(program: WebGPUProgram, inputs: tf.Tensor[], dtype: tf.DataType = 'float32', uniforms?: Uniform[]): tf.Tensor {
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.runWebGPUProgram(program, inputs, dtype, uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** True when tensors run on WebGPU (custom kernels available). */
export function onWebGPU(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** The device limit, or WebGPU's guaranteed minimum when unknown. */
export function deviceLimit(name: 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxStorageBuffersPerShaderStage'): number {
  const floor = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxStorageBuffersPerShaderStage: 8 }[name];
  if (!onWebGPU()) return floor;
  const device = (tf.backend() as WebGPUBackend).device;
  return (device.limits as unknown as Record<string, number>)[name] ?? floor;
}
