import * as tf from '@tensorflow/tfjs';
import type { Uniform } from './runProgram';
import { deviceLimit } from './runProgram';
import { withoutHeader } from './wgsl';

/**
 * A flat program (flatProgram.ts's shape: `threads` invocations, 64 per workgroup, each running `body`
 * with its `index`) that WRITES SEVERAL BUFFERS in one dispatch, which a tfjs program cannot (one output,
 * inputs read-only). Two kinds of written bindings:
 *   outputs  new tensors of the given shapes (a kernel's several results: y and its row statistics,
 *            dgain and dbias, …);
 *   inPlace  existing tensors written in place (AdamW's parameters and moments). Each must own its
 *            buffer (no other tensor shares its dataId: tfjs's clone, reshape and tf.variable(t) share
 *            one; `ownBuffer` gives a variable a buffer of its own first), so no other tensor sees the write.
 * Read bindings are `inputs`. Every binding counts against maxStorageBuffersPerShaderStage (`maxBindings`).
 *
 * The dispatch is recorded into tfjs's own command encoder and compute pass, as tfjs-backend-webgpu
 * 4.22's recordAndSubmit does (same submit batching, same timer queries under tf.time / tf.profile),
 * so it is ordered with every tfjs and custom program around it. The WGSL is the body with its
 * bindings declared here: `uniforms.threads` and the declared uniforms, each binding an array of f32
 * (or i32 for int32 tensors; vec4<f32> with `vec4` or by `components`).
 */

export interface MultiKernel {
  key: string;
  inputs: tf.TensorInfo[];
  names: string[];
  outputs?: { name: string; shape: number[] }[];
  inPlace?: { name: string; tensor: tf.TensorInfo }[];
  threads: number;
  body: string;
  uniforms?: { decl: string; values: Uniform[] };
  prelude?: string;
  /** every binding as array<vec4<f32>> (every size a multiple of 4) */
  vec4?: boolean;
  /** per read binding 1 or 4 (vec4), and for every written one: programs that mix scalar and vec4 bindings */
  components?: { inputs: number[]; written: number };
}

/** What runMulti uses of the webgpu backend (fields tfjs's typings keep private). */
interface BackendInternals {
  device: GPUDevice;
  tensorMap: { get(id: tf.DataId): { values: unknown; resource: unknown; refCount: number } };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<tf.DataId>;
  activeTimers: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(id: tf.DataId): void;
  tensorToBinding(t: tf.TensorInfo): GPUBufferBinding;
  makeUniforms(u: Uniform[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The storage bindings one program may have on this device. */
export function maxBindings(): number {
  return deviceLimit('maxStorageBuffersPerShaderStage');
}

/** Whether `t` is the only tensor on its buffer (so writing it in place changes nothing else). */
function ownsBuffer(t: tf.TensorInfo): boolean {
  return (tf.backend() as unknown as BackendInternals).tensorMap.get(t.dataId).refCount === 1;
}

/** Gives variable `v` a buffer of its own (a copy) when it shares one; call outside any tidy that still holds a sharer. */
export function ownBuffer(v: tf.Variable): void {
  if (!ownsBuffer(v)) tf.tidy(() => v.assign(tf.add(v, tf.zerosLike(v))));
}

/** Runs the kernel; returns its new outputs (in `outputs` order). */
export function runMulti(k: MultiKernel): tf.Tensor[] {
  return runMultiInfo(k).map((o) => tf.engine().makeTensorFromTensorInfo(o));
}

/** runMulti for kernel functions (registerKernel), which return TensorInfos. */
export function runMultiInfo(k: MultiKernel): tf.TensorInfo[] {
  const backend = tf.backend() as unknown as BackendInternals;
  const outputs = (k.outputs ?? []).map((o) => backend.makeTensorInfo(o.shape, 'float32'));
  const inPlace = (k.inPlace ?? []).map((w) => w.tensor);
  const bindings = k.inputs.length + outputs.length + inPlace.length;
  if (bindings > maxBindings()) throw new Error(`${k.key}: ${bindings} storage bindings, the device allows ${maxBindings()}`);
  for (const t of inPlace) if (!ownsBuffer(t)) throw new Error(`${k.key}: a tensor written in place shares its buffer`);
  const all = [...k.inputs, ...outputs, ...inPlace];
  for (const t of all) backend.uploadToGPU(t.dataId);
  const written = [...(k.outputs ?? []).map((o) => o.name), ...(k.inPlace ?? []).map((w) => w.name)];
  const pipeline = pipelineFor(backend.device, k, written);
  const uniforms: Uniform[] = [{ type: 'int32', data: [k.threads] }, ...(k.uniforms?.values ?? [])];
  const entries = [backend.makeUniforms(uniforms), ...all.map((t) => backend.tensorToBinding(t))];
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.map((resource, binding) => ({ binding, resource })),
  });
  for (const t of all) backend.commandQueueOwnedIds.add(t.dataId);
  record(backend, pipeline, bindGroup, k.threads, k.key);
  // a tensor read back before keeps its values on the CPU, which tfjs would return instead of the new ones
  for (const t of inPlace) backend.tensorMap.get(t.dataId).values = null;
  return outputs;
}

function pipelineFor(device: GPUDevice, k: MultiKernel, written: string[]): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  const vec4 = (c: number | undefined) => (c ?? (k.vec4 ? 4 : 1)) === 4;
  const type = (t: tf.TensorInfo, i: number) => (vec4(k.components?.inputs[i]) ? 'vec4<f32>' : t.dtype === 'int32' ? 'i32' : 'f32');
  const out = vec4(k.components?.written) ? 'vec4<f32>' : 'f32';
  const reads = k.inputs.map((t, i) => `${k.names[i]}:${type(t, i)}`);
  const id = `${k.key}|${reads.join(',')}|${written.join(',')}:${out}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const decls = [
    ...k.inputs.map((t, i) => `var<storage, read> ${k.names[i]} : array<${type(t, i)}>;`),
    ...written.map((name) => `var<storage, read_write> ${name} : array<${out}>;`),
  ].map((d, i) => `@group(0) @binding(${i + 1}) ${d}`);
  const body = withoutHeader(k.body).replace(/\n$/, '').replace(/\n/g, '\n  ');
  const code = `struct Uniforms { threads : i32, ${k.uniforms?.decl ?? ''} };
@group(0) @binding(0) var<uniform> uniforms : Uniforms;
${decls.join('\n')}
${k.prelude ?? ''}
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>, @builtin(local_invocation_index) local : u32) {
  let index = i32((wg.y * groups.x + wg.x) * 64u + local);
  if (index >= uniforms.threads) { return; }
  ${body}
}`;
  const pipeline = device.createComputePipeline({ label: k.key, layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  cache.set(id, pipeline);
  return pipeline;
}

/** One dispatch into tfjs's compute pass, batched and timed as tfjs's recordAndSubmit does. */
function record(backend: BackendInternals, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, threads: number, name: string): void {
  const groups = Math.ceil(threads / 64);
  const timed = backend.activeTimers != null;
  backend.ensureCommandEncoderReady();
  if (timed && backend.supportTimestampQuery) {
    backend.endComputePassEncoder();
    if (backend.querySet == null) backend.querySet = backend.device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass({
      timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!backend.computePassEncoder) backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
  const pass = backend.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  // WebGPU caps each dispatch dimension at 65535 workgroups
  if (groups > 65535) pass.dispatchWorkgroups(65535, Math.ceil(groups / 65535), 1);
  else pass.dispatchWorkgroups(groups, 1, 1);
  backend.dispatchCountInPass++;
  if (timed || (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    if (timed) backend.activeTimers!.push({ name, query: backend.getQueryTime() });
    else backend.submitQueue();
  }
}
