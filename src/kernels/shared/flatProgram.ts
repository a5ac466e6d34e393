import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { getMainHeaderString } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import type { Uniform } from './runProgram';
import { withoutHeader } from './wgsl';

/**
 * A barrier-free program of `threads` invocations (64 per workgroup), each running `body` with
 * `index` (its flat invocation index; `index < uniforms.threads` is checked before the body).
 * The body is WGSL statements at column 0 (a .wgsl file, filled or not; its header is dropped),
 * indented into main() here: every flat kernel's main() is this one.
 * The output has `outputShape` (independent of the thread count: one thread per row, per column
 * or per element). `uniforms` declares extra uniforms (`name : type,` list), passed as `values`.
 * Every compile-time constant must be in `key`.
 */
class FlatProgram implements WebGPUProgram {
  outputShape: number[];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms: string;
  variableComponents?: number[];
  outputComponent?: number;

  constructor(
    readonly variableNames: string[],
    readonly shaderKey: string,
    private readonly body: string,
    threads: number,
    outputShape: number[],
    uniforms: string,
    private readonly prelude: string,
    components: { inputs: number[]; output: number } | undefined,
  ) {
    if (components) {
      this.variableComponents = components.inputs;
      this.outputComponent = components.output;
    }
    this.outputShape = outputShape;
    this.uniforms = 'threads : i32, ' + uniforms;
    const groups = Math.ceil(threads / 64);
    // WebGPU caps each dispatch dimension at 65535 workgroups.
    this.dispatch = groups > 65535 ? [65535, Math.ceil(groups / 65535), 1] : [groups, 1, 1];
  }

  getUserCode(): string {
    const body = withoutHeader(this.body).replace(/\n$/, '').replace(/\n/g, '\n  ');
    return `${this.prelude}
${getMainHeaderString('index')} {
  if (index >= uniforms.threads) { return; }
  ${body}
}`;
  }
}

export interface FlatKernel {
  key: string;
  inputs: tf.TensorInfo[];
  names: string[];
  body: string;
  threads: number;
  outputShape: number[];
  uniforms?: { decl: string; values: Uniform[] };
  prelude?: string;
  dtype?: tf.DataType;
  /** inputs and output bound as array<vec4<f32>> (every size a multiple of 4) */
  vec4?: boolean;
  /** per-binding components (1 or 4), for programs that mix scalar and vec4 bindings */
  components?: { inputs: number[]; output: number };
  /** write into this existing tensor instead of a new one (in place; see decode/op.ts's KV cache) */
  output?: tf.TensorInfo;
}

export function runFlat(k: FlatKernel): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(runFlatInfo(k));
}

/** runFlat for kernel functions (registerKernel), which return TensorInfos. */
export function runFlatInfo(k: FlatKernel): tf.TensorInfo {
  const components = k.components ?? (k.vec4 ? { inputs: k.names.map(() => 4), output: 4 } : undefined);
  const program = new FlatProgram(k.names, k.key, k.body, k.threads, k.outputShape, k.uniforms?.decl ?? '', k.prelude ?? '', components);
  const backend = tf.backend() as WebGPUBackend;
  const uniforms: Uniform[] = [{ type: 'int32', data: [k.threads] }, ...(k.uniforms?.values ?? [])];
  return backend.runWebGPUProgram(program, k.inputs, k.dtype ?? 'float32', uniforms, k.output);
}

export const i32 = (v: number): Uniform => ({ type: 'int32', data: [v] });
export const f32 = (v: number): Uniform => ({ type: 'float32', data: [v] });

/**
 * tf.customGrad with typed parameters: f receives the inputs, then the save function (tfjs's own
 * signature types every parameter as `Tensor | GradSaveFunc`).
 */
export function customOp<A extends tf.Tensor[]>(
  f: (...args: [...A, tf.GradSaveFunc]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] },
): (...inputs: A) => tf.Tensor {
  const g = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: A) => g(...inputs);
}
