/**
 * Minimal, dependency-free reader/writer for the safetensors format
 * (https://github.com/huggingface/safetensors). Pure: no tfjs, no DOM.
 *
 * File layout (all integers little-endian):
 *
 *   [0, 8)          u64 N = byte length of the JSON header
 *   [8, 8 + N)      UTF-8 JSON header, starting with `{`:
 *                     { "__metadata__": { "k": "v", ... },          (optional, string → string)
 *                       "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] },
 *                       ... }
 *                   padded with trailing spaces (0x20) so that 8 + N is a multiple of 8.
 *   [8 + N, EOF)    the byte buffer; `data_offsets` are relative to its start.
 *
 * Writer choices (any order is valid for readers; these make the output deterministic):
 *  - Tensors are laid out in the byte buffer sorted by name (UTF-16 code-unit order, i.e.
 *    `Array.prototype.sort` default). Hugging Face's writer sorts by dtype alignment first,
 *    then by name; since both supported dtypes (F32, I32) are 4 bytes wide, that is the same
 *    order for the files we write, and every tensor starts 4-aligned (8-aligned buffer start).
 *  - The header lists `__metadata__` first (omitted when no metadata is given), then the
 *    tensors in buffer order — the same as the reference Rust implementation.
 *
 * Reader checks (mirrors the reference implementation's validation; every failure throws
 * {@link SafetensorsError}): file shorter than 8 bytes; header length beyond the file or over
 * `maxHeaderBytes` (default 1 MiB), more than `maxTensors` tensors (default 1 024) — both
 * checked before anything is allocated for the tensors (safetensorsHeader.ts, which also
 * lists the tensors without copying them); header not UTF-8 / not JSON / not an
 * object / not starting with `{`; `__metadata__` not a string→string object; entries missing or
 * mistyped fields; unknown or unsupported dtypes; shapes that are not arrays of non-negative
 * integers; offsets that are not integers, reversed, out of the buffer, overlapping or leaving
 * gaps (the tensors must tile the byte buffer exactly, as the reference requires); and
 * `product(shape) × dtypeSize ≠ end − begin`.
 *
 * Decoded tensor data are always copied into fresh, properly aligned typed arrays (never views
 * into the input), so the result stays valid if the input buffer is reused. Bit patterns are
 * preserved exactly (NaN payloads, −0, denormals).
 */

import { describe, fail, isShape, METADATA_KEY, product, type SafetensorsDtype, type SafetensorsEntry } from './safetensorsHeader';

export { SafetensorsError, parseSafetensorsHeader } from './safetensorsHeader';
export type { SafetensorsEntry, SafetensorsHeader } from './safetensorsHeader';

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Copies the raw little-endian bytes of a 4-byte typed array into `out` at `offset`. */
function writeWords(out: Uint8Array, offset: number, data: Float32Array | Int32Array): void {
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) {
    out.set(src, offset);
    return;
  }
  // Big-endian host: write each 32-bit word byte-swapped. Integer views preserve NaN bits.
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < words.length; i++) view.setUint32(offset + 4 * i, words[i], true);
}

/**
 * Serialises tensors to a safetensors file. Throws {@link SafetensorsError} on invalid input
 * (duplicate or reserved names, dtype/array mismatch, data length ≠ product(shape), bad shape,
 * non-string metadata values).
 */
export function encodeSafetensors(tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== 'string') fail('tensor name must be a string');
    if (t.name === METADATA_KEY) fail(`tensor name ${describe(t.name)} is reserved for metadata`);
    if (seen.has(t.name)) fail(`duplicate tensor name ${describe(t.name)}`);
    seen.add(t.name);
    if (t.dtype === 'F32') {
      if (!(t.data instanceof Float32Array)) fail(`tensor ${describe(t.name)}: dtype F32 needs a Float32Array`);
    } else if (t.dtype === 'I32') {
      if (!(t.data instanceof Int32Array)) fail(`tensor ${describe(t.name)}: dtype I32 needs an Int32Array`);
    } else {
      fail(`tensor ${describe(t.name)}: unsupported dtype ${JSON.stringify(t.dtype)} (supported: F32, I32)`);
    }
    if (!isShape(t.shape)) fail(`tensor ${describe(t.name)}: shape must be an array of non-negative integers`);
    const n = product(t.shape);
    if (n !== t.data.length) {
      fail(`tensor ${describe(t.name)}: shape [${t.shape.join(', ')}] has ${n} elements but data has ${t.data.length}`);
    }
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) fail('metadata must be an object');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata value for ${describe(k)} must be a string`);
    }
  }

  const ordered = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Build the header by hand so `__metadata__` comes first and the tensor order is kept even
  // for names that look like array indices (which JS objects would otherwise reorder).
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort();
    const meta = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',');
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${meta}}`);
  }
  let offset = 0;
  for (const t of ordered) {
    const begin = offset;
    const end = begin + t.data.byteLength;
    offset = end;
    const info = `{"dtype":${JSON.stringify(t.dtype)},"shape":[${t.shape.join(',')}],"data_offsets":[${begin},${end}]}`;
    parts.push(`${JSON.stringify(t.name)}:${info}`);
  }
  const headerJson = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil((8 + headerJson.length) / 8) * 8 - 8;
  const bufferStart = 8 + headerLen;

  const out = new Uint8Array(bufferStart + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen >>> 0, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(headerJson, 8);
  out.fill(0x20, 8 + headerJson.length, bufferStart);

  offset = bufferStart;
  for (const t of ordered) {
    writeWords(out, offset, t.data);
    offset += t.data.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * One tensor's values, copied into a fresh, aligned typed array (F16, BF16 and F64 converted to
 * F32). `entry` comes from {@link parseSafetensorsHeader} of the same `bytes`.
 */
export function readTensor(bytes: Uint8Array, bufferStart: number, e: SafetensorsEntry): SafetensorsTensor {
  const src = bytes.subarray(bufferStart + e.begin, bufferStart + e.end);
  const n = product(e.shape);
  if (e.dtype === 'F32' || e.dtype === 'I32') {
    const raw = new Uint8Array(src.length);
    raw.set(src);
    if (!LITTLE_ENDIAN) {
      const v = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) v.setUint32(4 * i, v.getUint32(4 * i, true), false);
    }
    const data = e.dtype === 'F32' ? new Float32Array(raw.buffer, 0, n) : new Int32Array(raw.buffer, 0, n);
    return { name: e.name, dtype: e.dtype, shape: e.shape, data };
  }
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const data = new Float32Array(n);
  if (e.dtype === 'F64') for (let i = 0; i < n; i++) data[i] = v.getFloat64(8 * i, true);
  else if (e.dtype === 'F16') for (let i = 0; i < n; i++) data[i] = halfToFloat(v.getUint16(2 * i, true));
  else if (e.dtype === 'BF16') {
    const tmp = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < n; i++) {
      tmp.setUint32(0, v.getUint16(2 * i, true) << 16);
      data[i] = tmp.getFloat32(0);
    }
  } else fail(`tensor ${describe(e.name)}: unsupported dtype ${e.dtype}`);
  return { name: e.name, dtype: 'F32', shape: e.shape, data };
}
