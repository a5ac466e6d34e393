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

/**
 * True on a CPU implementation of WebGPU (SwiftShader here, llvmpipe/lavapipe, WARP). It runs the
 * invocations of a workgroup as coroutines, so every barrier and every extra invocation costs far
 * more than on a GPU: kernels pick barrier-free, one-thread-per-row layouts there.
 */
export function cpuAdapter(): boolean {
  if (!onWebGPU()) return false;
  const backend = tf.backend() as WebGPUBackend;
  const device = backend.device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { isFallbackAdapter?: boolean } };
  const info = device.adapterInfo;
  const fromTfjs = (backend as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  if (info?.isFallbackAdapter) return true;
  const names = [info?.vendor, info?.architecture, info?.description, fromTfjs?.vendor, fromTfjs?.architecture].join(' ');
  return /swiftshader|llvmpipe|lavapipe|warp|software/i.test(names);
}

/** The device limit, or WebGPU's guaranteed minimum when unknown. */
export function deviceLimit(name: 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxStorageBuffersPerShaderStage'): number {
  const floor = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxStorageBuffersPerShaderStage: 8 }[name];
  if (!onWebGPU()) return floor;
  const device = (tf.backend() as WebGPUBackend).device;
  return (device.limits as unknown as Record<string, number>)[name] ?? floor;
}
