import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { getMainHeaderString } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import fwdSource from '../../shaders/attention_fwd.wgsl?raw';
import deltaSource from '../../shaders/attention_bwd_delta.wgsl?raw';
import dqSource from '../../shaders/attention_bwd_dq.wgsl?raw';
import dkdvSource from '../../shaders/attention_bwd_dkdv.wgsl?raw';
import decodeSource from '../../shaders/attention_decode.wgsl?raw';

/**
 * The WebGPU programs of fused causal attention (see attention.ts for the op and its gradient).
 * Each program is the tfjs header + a constants prelude + one WGSL source from shaders/ + a
 * `main()` that calls the source's entry function. Every constant of the prelude is in shaderKey.
 *
 * Tiles: square, `tile` query rows × `tile` keys. The forward and dQ run one thread per query row
 * (workgroup = tile threads) over key tiles in workgroup memory; dK/dV run one thread per key over
 * query tiles. The tile is the largest candidate whose workgroup memory fits the device's
 * maxComputeWorkgroupStorageSize (32 up to hs = 64 with 32 KiB; the 16 KiB floor gives 16 for hs = 64).
 */

export type AttentionPass = 'fwd' | 'dq' | 'dkdv';

export interface Tiles {
  br: number; // query rows per tile
  bc: number; // keys per tile
}

/** Largest first. 64 fits too (hs ≤ 32, 32 KiB) but measured slower than 32 on SwiftShader. */
const TILE_CANDIDATES = [32, 16, 8, 4];

/** Decode: threads per workgroup (= keys per chunk). */
const DECODE_WG = 64;

/** Bytes of workgroup memory a pass declares (must match the var<workgroup> lists in shaders/). */
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
export function chooseTiles(pass: AttentionPass, hs: number, storageLimit: number, maxInvocations: number, maxTile = Infinity): Tiles | null {
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

export interface AttentionDims {
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
export function forwardProgram({ B, nh, Tq, hs }: AttentionDims, tiles: Tiles, hasMask: boolean, withLse: boolean): WebGPUProgram {
  const { br, bc } = tiles;
  const consts = { HS: hs, HS4: hs / 4, BR: br, BC: bc, WRITE_LSE: withLse };
  const N = B * nh * Tq;
  const outputShape = withLse ? [N * hs + N] : [B, nh, Tq, hs];
  return new TiledAttentionProgram(fwdSource, 'attentionForward', consts, hasMask, ['Q', 'K', 'V'], outputShape, [Math.ceil(Tq / br), nh, B], [br, 1, 1]);
}

/** Backward dQ (B, nh, Tq, hs). Inputs Q, K, V, dO, Packed, Delta [, KeyValid]. */
export function dqProgram({ B, nh, Tq, hs }: AttentionDims, tiles: Tiles, hasMask: boolean): WebGPUProgram {
  const { br, bc } = tiles;
  const consts = { HS: hs, HS4: hs / 4, BR: br, BC: bc };
  return new TiledAttentionProgram(
    dqSource,
    'attentionBackwardDq',
    consts,
    hasMask,
    ['Q', 'K', 'V', 'dO', 'Packed', 'Delta'],
    [B, nh, Tq, hs],
    [Math.ceil(Tq / br), nh, B],
    [br, 1, 1],
  );
}

/** Backward packed [dK | dV] (2·B·nh·Tk·hs). Inputs Q, K, V, dO, Packed, Delta [, KeyValid]. */
export function dkdvProgram({ B, nh, Tk, hs }: AttentionDims, tiles: Tiles, hasMask: boolean): WebGPUProgram {
  const { br, bc } = tiles;
  const consts = { HS: hs, HS4: hs / 4, BR: br, BC: bc };
  return new TiledAttentionProgram(
    dkdvSource,
    'attentionBackwardDkDv',
    consts,
    hasMask,
    ['Q', 'K', 'V', 'dO', 'Packed', 'Delta'],
    [2 * B * nh * Tk * hs],
    [Math.ceil(Tk / bc), nh, B],
    [bc, 1, 1],
  );
}

/** Decode (Tq = 1): O (B, nh, 1, hs); one workgroup of DECODE_WG threads per (b, h). */
export function decodeProgram({ B, nh, hs }: AttentionDims, hasMask: boolean): WebGPUProgram {
  const dl = Math.min(hs, DECODE_WG);
  const consts = { HS: hs, WG: DECODE_WG, DL: dl, G: Math.floor(DECODE_WG / dl), DPT: Math.ceil(hs / dl) };
  return new TiledAttentionProgram(decodeSource, 'attentionDecode', consts, hasMask, ['Q', 'K', 'V'], [B, nh, 1, hs], [nh, B, 1], [DECODE_WG, 1, 1]);
}

/** A flat program: one thread per output element, `main(index)`. */
class FlatProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms?: string;
  size = true;

  constructor(
    private readonly body: string,
    key: string,
    variableNames: string[],
    outputShape: number[],
    uniforms?: string,
  ) {
    this.variableNames = variableNames;
    this.outputShape = outputShape;
    this.shaderKey = key;
    this.uniforms = uniforms;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return this.body;
  }
}

/** Backward D = rowsum(dO ∘ O) (B·nh·Tq), reading O from the forward's packed output. */
export function deltaProgram({ B, nh, Tq, hs }: AttentionDims): WebGPUProgram {
  const body = [prelude({ HS: hs }), deltaSource, `${getMainHeaderString('index')} { attentionDelta(index); }`].join('\n');
  return new FlatProgram(body, `attention_delta_HS=${hs}`, ['Packed', 'dO'], [B * nh * Tq]);
}

/**
 * Copies `size(outputShape)` floats starting at uniform `offset` of a packed buffer into a tensor
 * of `outputShape` (O out of [O | lse]; dK and dV out of [dK | dV]). Run with uniforms [{int32, [offset]}].
 */
export function unpackProgram(outputShape: number[]): WebGPUProgram {
  const body = `${getMainHeaderString('index')} {
    if (index < uniforms.size) { result[index] = Src[index + uniforms.offset]; }
  }`;
  return new FlatProgram(body, 'attention_unpack', ['Src'], outputShape, 'offset : i32,');
}
