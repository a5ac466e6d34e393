import { deflateSync, strToU8 } from 'fflate';
import { crc32 } from '../../src/store/checksum';
import { exportModel } from '../../src/io/modelFiles';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';

/** Files a hostile (or careless) user could hand the model import, built byte by byte. */

export const microWeights = initialWeights(PRESETS.micro, 5);
export const microFiles = () => exportModel(PRESETS.micro, microWeights, 'lm');
export const microConfig = (): Record<string, unknown> => JSON.parse(microFiles()['config.json']);

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file from raw tensors, in the given order (no sorting, no checks). */
export function safetensorsOf(tensors: RawTensor[]): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = strToU8(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

const f32 = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** The micro model's tensors, each changed by `edit` (return null to drop one), plus `extra`. */
export function microTensors(edit: (name: string, data: Float32Array) => Float32Array | null = (_, d) => d, extra: RawTensor[] = []): RawTensor[] {
  const shapes = new Map<string, number[]>([
    ['wte.weight', [100, 32]],
    ['wpe.weight', [64, 32]],
  ]);
  const out: RawTensor[] = [];
  for (const [name, data] of microWeights) {
    const changed = edit(name, data.slice());
    if (!changed) continue;
    const shape = shapes.get(name) ?? inferShape(name);
    out.push({ name, dtype: 'F32', shape, bytes: f32(changed) });
  }
  return [...out, ...extra];
}

function inferShape(name: string): number[] {
  const C = 32;
  if (name.endsWith('c_attn.weight')) return [C, 3 * C];
  if (name.endsWith('c_attn.bias')) return [3 * C];
  if (name.endsWith('attn.c_proj.weight')) return [C, C];
  if (name.endsWith('c_fc.weight')) return [C, 4 * C];
  if (name.endsWith('c_fc.bias')) return [4 * C];
  if (name.endsWith('mlp.c_proj.weight')) return [4 * C, C];
  return [C];
}

export const f32Tensor = (name: string, shape: number[], values: ArrayLike<number>): RawTensor => ({
  name,
  dtype: 'F32',
  shape,
  bytes: f32(Float32Array.from(values)),
});

/** IEEE half precision bits of x (round to nearest, good enough for test values). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const mant = b & 0x7fffff;
  if (((b >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) return sign; // flush tiny values to zero
  return sign | (exp << 10) | Math.round(mant / 8192);
}

/** One zip entry as a test wants it, with every field that a writer could lie about. */
export interface ZipSpec {
  name: string;
  data: Uint8Array;
  /** 0 stored (default), 8 deflate */
  method?: 0 | 8;
  /** override what the central directory declares */
  size?: number;
  crc?: number;
  /** raw bytes to store as the entry's (compressed) data instead of compressing `data` */
  raw?: Uint8Array;
}

/** A zip file (local headers, data, central directory, end record) written by hand. */
export function zipOf(specs: ZipSpec[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const s of specs) {
    const method = s.method ?? 0;
    const body = s.raw ?? (method === 8 ? deflateSync(s.data, { level: 6 }) : s.data);
    const name = strToU8(s.name);
    const crc = s.crc ?? crc32(s.data);
    const size = s.size ?? s.data.length;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, size >>> 0, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, size >>> 0, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    chunks.push(local, body);
    central.push(cd);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, specs.length, true);
  ev.setUint16(10, specs.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const c of [...chunks, ...central, end]) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * CPU time, wall time and memory of one call. CPU time is what the bounds use: it does not grow
 * when other jobs take the cores (wall time grew 5× at load average 10 here). Memory: the growth of
 * the process's peak RSS, or of the heap and array buffers still held right after the call
 * (garbage not yet collected), whichever is larger.
 */
export function measure<T>(fn: () => T): { cpuMs: number; ms: number; memMB: number; result: T | Error } {
  const rss0 = process.resourceUsage().maxRSS;
  const m0 = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let result: T | Error;
  try {
    result = fn();
  } catch (e) {
    result = e instanceof Error ? e : new Error(String(e));
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const m1 = process.memoryUsage();
  const held = (m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers) / 2 ** 20;
  return { cpuMs: (cpu.user + cpu.system) / 1000, ms, memMB: Math.max((process.resourceUsage().maxRSS - rss0) / 1024, held), result };
}
