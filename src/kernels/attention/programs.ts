import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { getMainHeaderString } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import fwdSource from '../../../shaders/attention/fwd.wgsl?raw';
import deltaSource from '../../../shaders/attention/bwd_delta.wgsl?raw';
import dqSource from '../../../shaders/attention/bwd_dq.wgsl?raw';
import dkdvSource from '../../../shaders/attention/bwd_dkdv.wgsl?raw';
import decodeSource from '../../../shaders/attention/decode.wgsl?raw';
import loadTileSource from '../../../shaders/attention/load_tile.wgsl?raw';
import storeSource from '../../../shaders/attention/store.wgsl?raw';
import tileIndexSource from '../../../shaders/attention/tile_index.wgsl?raw';
import unpackSource from '../../../shaders/attention/unpack.wgsl?raw';
import { i32, runFlat, runFlatInfo } from '../shared/flatProgram';
import { deviceLimit, runProgram } from '../shared/runProgram';
import { fill, withoutHeader } from '../shared/wgsl';
import { tuning } from '../tuning';

/**
 * The WebGPU side of fused causal attention (op.ts holds the op, its reference and its gradient):
 * the kernel `FusedCausalAttention` and the programs of its passes. Each tiled program is the tfjs
 * header + a constants prelude + keyIsValid + the tile loads (load_tile.wgsl filled as loadKV, and as
 * loadQG in the backward) + the row store (store.wgsl) + one pass's .wgsl, its TILE_INDEX hole filled
 * with the index setup every tiled pass shares (tile_index.wgsl), + a `main()` that calls the pass's
 * entry function (`tiled` composes them). Every constant of the prelude is in shaderKey.
 *
 * Tiles: square, `tile` query rows × `tile` keys. The forward and dQ run one thread per query row
 * (workgroup = tile threads) over key tiles in workgroup memory; dK/dV run one thread per key over
 * query tiles. The tile is the largest candidate whose workgroup memory fits the device's
 * maxComputeWorkgroupStorageSize (32 up to hs = 64 with 32 KiB; the 16 KiB floor gives 16 for hs = 64).
 */

type AttentionPass = 'fwd' | 'dq' | 'dkdv';

interface Tiles {
  br: number; // query rows per tile
  bc: number; // keys per tile
}

/** Largest first. 64 fits too (hs ≤ 32, 32 KiB) but measured slower than 32 on SwiftShader. */
const TILE_CANDIDATES = [32, 16, 8, 4];

/** Decode: threads per workgroup (= keys per chunk). */
const DECODE_WG = 64;

/** Bytes of workgroup memory a pass declares (must match the var<workgroup> lists of its .wgsl). */
function sharedBytes(pass: AttentionPass, hs: number, { br, bc }: Tiles): number {
  const floats = {
    fwd: 2 * bc * hs, // K and V tiles (the Q tile is staged through them)
    dq: 2 * bc * hs, // K and V tiles (Q and dO staged through them)
    dkdv: 2 * br * hs + 2 * br, // Q and dO tiles (K and V staged through them), lse and D
  }[pass];
  return 4 * floats + 4; // + the i32 tile counter
}

/**
 * The largest tiles that fit, or null when none does or hs is not a multiple of 4 (the op then
 * falls back to the reference).
 * maxTile caps the candidates (tests use small tiles to cross many tile boundaries on small T).
 */
function chooseTiles(pass: AttentionPass, hs: number, storageLimit: number, maxInvocations: number, maxTile = Infinity): Tiles | null {
  if (hs % 4 !== 0) return null; // rows are read as vec4s
  const tile = TILE_CANDIDATES.find((t) => t <= maxTile && t <= maxInvocations && sharedBytes(pass, hs, { br: t, bc: t }) <= storageLimit);
  return tile === undefined ? null : { br: tile, bc: tile };
}

/** Compile-time constants: integers (i32) and flags (bool). */
type Constant = number | boolean;

function prelude(consts: Record<string, Constant>): string {
  return Object.entries(consts)
    .map(([name, value]) => (typeof value === 'boolean' ? `const ${name} : bool = ${value};` : `const ${name} : i32 = ${value};`))
    .join('\n');
}

function constKey(consts: Record<string, Constant>): string {
  return Object.entries(consts)
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
}

/** keyIsValid(b, j): reads the (B, Tk) key-validity mask when there is one. */
function keyValidFn(hasMask: boolean): string {
  return hasMask
    ? 'fn keyIsValid(b : i32, j : i32) -> bool { return f32(KeyValid[b * uniforms.kShape.z + j]) > 0.5; }'
    : 'fn keyIsValid(b : i32, j : i32) -> bool { return true; }';
}

/**
 * Non-flat layout: tfjs then calls `main()` without an index and we read workgroupId ourselves.
 * (Its rank, 3, matches none of our output ranks, so tfjs generates no getOutputCoords.)
 */
const TILED_LAYOUT = { x: [0], y: [1], z: [2] };

/** Inputs read as vec4 rows by the tiled passes (hs % 4 = 0); the others are per-row scalars. */
const VEC4_INPUTS = new Set(['Q', 'K', 'V', 'dO']);

/**
 * A program whose workgroups are indexed by workgroupId (tile, head, batch) — the tiled passes,
 * one thread per query row (or key), and decode, one workgroup per (b, h).
 */
class TiledAttentionProgram implements WebGPUProgram {
  variableNames: string[];
  variableComponents: number[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = TILED_LAYOUT;
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];

  constructor(
    private readonly source: string,
    private readonly entry: string,
    private readonly consts: Record<string, Constant>,
    private readonly hasMask: boolean,
    variableNames: string[],
    outputShape: number[],
    dispatch: [number, number, number],
    workgroupSize: [number, number, number],
  ) {
    this.variableNames = hasMask ? [...variableNames, 'KeyValid'] : variableNames;
    this.variableComponents = this.variableNames.map((n) => ('HS4' in consts && VEC4_INPUTS.has(n) ? 4 : 1));
    this.outputShape = outputShape;
    this.dispatch = dispatch;
    this.workgroupSize = workgroupSize;
    this.shaderKey = `attention_${entry}_${constKey(consts)}_mask=${hasMask}`;
  }

  getUserCode(): string {
    return [prelude(this.consts), keyValidFn(this.hasMask), this.source, `${getMainHeaderString()} { ${this.entry}(); }`].join('\n');
  }
}

/** The tile loads: K and V tiles (every tiled pass), Q and dO tiles (the backward ones: the forward has no dO). */
const loadTile = withoutHeader(loadTileSource);
const loadKV = fill(loadTile, { NAME: 'loadKV', A: 'K', B: 'V', ROWS: 'BC' });
const loadQG = fill(loadTile, { NAME: 'loadQG', A: 'Q', B: 'dO', ROWS: 'BR' });

/** A tiled pass's source, its index setup filled in, after the tile loads and the row store it calls. */
const tiled = (source: string, backward: boolean) =>
  [loadKV, ...(backward ? [loadQG] : []), withoutHeader(storeSource), fill(source, { TILE_INDEX: withoutHeader(tileIndexSource) })].join('\n');

interface AttentionDims {
  B: number;
  nh: number;
  Tq: number;
  Tk: number;
  hs: number;
}

/**
 * Forward. withLse = false: output O (B, nh, Tq, hs).
 * withLse = true: output packed [O (B·nh·Tq·hs) | lse (B·nh·Tq)] (tfjs programs have one output).
 */
function forwardProgram({ B, nh, Tq, hs }: AttentionDims, tiles: Tiles, hasMask: boolean, withLse: boolean): WebGPUProgram {
  const { br, bc } = tiles;
  const consts = { HS: hs, HS4: hs / 4, BR: br, BC: bc, WRITE_LSE: withLse };
  const N = B * nh * Tq;
  const outputShape = withLse ? [N * hs + N] : [B, nh, Tq, hs];
  return new TiledAttentionProgram(
    tiled(fwdSource, false),
    'attentionForward',
    consts,
    hasMask,
    ['Q', 'K', 'V'],
    outputShape,
    [Math.ceil(Tq / br), nh, B],
    [br, 1, 1],
  );
}

/**
 * A backward pass; inputs Q, K, V, dO, Packed, Delta [, KeyValid]. 'dq': dQ (B, nh, Tq, hs), one
 * thread per query row; 'dkdv': packed [dK | dV] (2·B·nh·Tk·hs), one thread per key.
 */
function backwardProgram(pass: 'dq' | 'dkdv', { B, nh, Tq, Tk, hs }: AttentionDims, tiles: Tiles, hasMask: boolean): WebGPUProgram {
  const { br, bc } = tiles;
  const dq = pass === 'dq';
  return new TiledAttentionProgram(
    tiled(dq ? dqSource : dkdvSource, true),
    dq ? 'attentionBackwardDq' : 'attentionBackwardDkDv',
    { HS: hs, HS4: hs / 4, BR: br, BC: bc },
    hasMask,
    ['Q', 'K', 'V', 'dO', 'Packed', 'Delta'],
    dq ? [B, nh, Tq, hs] : [2 * B * nh * Tk * hs],
    dq ? [Math.ceil(Tq / br), nh, B] : [Math.ceil(Tk / bc), nh, B],
    [dq ? br : bc, 1, 1],
  );
}

/** Decode (Tq = 1): O (B, nh, 1, hs); one workgroup of DECODE_WG threads per (b, h). */
function decodeProgram({ B, nh, hs }: AttentionDims, hasMask: boolean): WebGPUProgram {
  const dl = Math.min(hs, DECODE_WG);
  const consts = { HS: hs, WG: DECODE_WG, DL: dl, G: Math.floor(DECODE_WG / dl), DPT: Math.ceil(hs / dl) };
  return new TiledAttentionProgram(decodeSource, 'attentionDecode', consts, hasMask, ['Q', 'K', 'V'], [B, nh, 1, hs], [nh, B, 1], [DECODE_WG, 1, 1]);
}

/** Backward D = rowsum(dO ∘ O) (B·nh·Tq), reading O from the forward's packed output. */
function delta(packed: tf.TensorInfo, dO: tf.TensorInfo, { B, nh, Tq, hs }: AttentionDims): tf.Tensor {
  const rows = B * nh * Tq;
  return runFlat({
    key: `attention_delta_HS=${hs}`,
    inputs: [packed, dO],
    names: ['Packed', 'dO'],
    threads: rows,
    outputShape: [rows],
    prelude: [prelude({ HS: hs }), deltaSource].join('\n'),
    body: 'attentionDelta(index);',
  });
}

/**
 * `shape` floats starting at float `offset` of a packed buffer, as a tensor of `shape` (O out of
 * [O | lse]; dK and dV out of [dK | dV]).
 */
function unpack(packed: tf.TensorInfo, offset: number, shape: number[]): tf.TensorInfo {
  return runFlatInfo({
    key: 'attention_unpack',
    inputs: [packed],
    names: ['Src'],
    threads: shape.reduce((a, b) => a * b, 1),
    outputShape: shape,
    uniforms: { decl: 'offset : i32,', values: [i32(offset)] },
    body: unpackSource,
  });
}

// ---------------------------------------------------------------- the kernel and its backward passes

/** The kernel's name (tests count it in profiles). */
export const FUSED_ATTENTION = 'FusedCausalAttention';

/**
 * Tiles of one pass on the current device (within tuning's attentionStorageLimit and
 * attentionMaxTile), or null when none fit.
 */
export function attentionTiles(pass: AttentionPass, hs: number): Tiles | null {
  const device = deviceLimit('maxComputeWorkgroupStorageSize');
  const limit = tuning.attentionStorageLimit === null ? device : Math.min(device, tuning.attentionStorageLimit);
  return chooseTiles(pass, hs, limit, deviceLimit('maxComputeInvocationsPerWorkgroup'), tuning.attentionMaxTile ?? Infinity);
}

function tilesOrThrow(pass: AttentionPass, hs: number): Tiles {
  const t = attentionTiles(pass, hs);
  if (!t) throw new Error(`${FUSED_ATTENTION}: no ${pass} tiles fit this device for head size ${hs}`);
  return t;
}

function dimsOf(q: tf.TensorInfo, k: tf.TensorInfo): AttentionDims {
  const [B, nh, Tq, hs] = q.shape;
  return { B, nh, Tq, Tk: k.shape[2], hs };
}

/**
 * The webgpu kernel. Inputs [q, k, v (, keyValid)]; attr withLse.
 *   - withLse false: one dispatch writing O (the decode program when Tq = 1);
 *   - withLse true (under a gradient tape): the forward writes one packed buffer [O | lse] (tfjs
 *     programs have one output); O is copied out of it, and the packed buffer is the second output
 *     (saved for the backward, which reads O and lse from it directly).
 */
function fusedAttentionKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const ins = inputs as unknown as tf.TensorInfo[]; // q, k, v [, keyValid]
  const hasMask = ins.length === 4;
  const dims = dimsOf(ins[0], ins[1]);
  if (!attrs?.withLse) {
    const program = dims.Tq === 1 ? decodeProgram(dims, hasMask) : forwardProgram(dims, tilesOrThrow('fwd', dims.hs), hasMask, false);
    return [gpu.runWebGPUProgram(program, ins, 'float32')];
  }
  const packed = gpu.runWebGPUProgram(forwardProgram(dims, tilesOrThrow('fwd', dims.hs), hasMask, true), ins, 'float32');
  return [unpack(packed, 0, ins[0].shape), packed];
}

export const fusedAttentionConfig: tf.KernelConfig = {
  kernelName: FUSED_ATTENTION,
  backendName: 'webgpu',
  kernelFunc: fusedAttentionKernel as unknown as tf.KernelFunc,
};

/**
 * The backward passes: D = rowsum(dO∘O), then dQ and [dK | dV] recomputing P = exp(S - lse) tile
 * by tile. packed: the forward's [O | lse].
 */
export function fusedAttentionBackward(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  keyValid: tf.Tensor2D | undefined,
  packed: tf.Tensor,
  dO: tf.Tensor4D,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const dims = dimsOf(q, k);
  const mask = keyValid ? [keyValid] : [];
  const D = delta(packed, dO, dims); // (B·nh·Tq)
  const passInputs = [q, k, v, dO, packed, D, ...mask];
  const dq = runProgram(backwardProgram('dq', dims, tilesOrThrow('dq', dims.hs), keyValid !== undefined), passInputs) as tf.Tensor4D;
  const dkdv = runProgram(backwardProgram('dkdv', dims, tilesOrThrow('dkdv', dims.hs), keyValid !== undefined), passInputs); // [dK | dV]
  const tensor = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
  const dk = tensor(unpack(dkdv, 0, k.shape));
  const dv = tensor(unpack(dkdv, k.size, k.shape));
  tf.dispose([D, dkdv]);
  return [dq, dk, dv];
}
