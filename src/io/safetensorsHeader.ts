/**
 * The safetensors header: reads and validates the 8-byte length and the JSON header, and lists the
 * tensors (name, dtype, shape, byte range) without touching their data — so an importer can check
 * names and shapes before it copies a single weight. Pure: no tfjs, no DOM. The format and the
 * writer are described in safetensors.ts.
 *
 * Limits, checked before the JSON is parsed or anything is allocated for the tensors: the header
 * is at most `maxHeaderBytes` (default 1 MiB; the reference reader allows 100 MB, but a GPT-2 of
 * 24 layers needs about 30 KB and a header of 95 MB with 1.6 million empty tensors took 46 s and
 * 2 GB), and it lists at most `maxTensors` tensors (default 1 024; this app's largest model has
 * 292, a Hugging Face GPT-2 of 24 layers with its mask buffers 343).
 */

export type SafetensorsDtype = 'F32' | 'I32';

export interface DecodeSafetensorsOptions {
  /** Reject headers longer than this many bytes (default {@link DEFAULT_MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number;
  /** Reject headers listing more tensors than this (default {@link DEFAULT_MAX_TENSORS}). */
  maxTensors?: number;
  /**
   * Convert F16, BF16 and F64 tensors to F32 instead of rejecting them (default false).
   * The model importer always converts; the returned dtype is then 'F32'.
   */
  upcastFloats?: boolean;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const DEFAULT_MAX_HEADER_BYTES = 1 << 20;
const DEFAULT_MAX_TENSORS = 1024;
export const METADATA_KEY = '__metadata__';

/** Byte sizes of every dtype the format defines (so we can tell "unsupported" from "unknown"). */
const KNOWN_DTYPE_SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** One tensor as the header lists it; `begin`/`end` are relative to `bufferStart`. */
export interface SafetensorsEntry {
  name: string;
  /** 'F32' | 'I32', or 'F16' | 'BF16' | 'F64' when upcastFloats allowed them */
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** in byte-buffer order (for files this app writes: sorted by name) */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** where the byte buffer starts in the file: 8 + header length */
  bufferStart: number;
}

export function fail(message: string): never {
  throw new SafetensorsError(message);
}

/** A name from the file, quoted and cut to 80 characters, for messages. */
export function describe(name: string): string {
  return JSON.stringify(name.length > 80 ? name.slice(0, 77) + '...' : name);
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
}

const CONVERTIBLE = new Set(['F16', 'BF16', 'F64']);

/**
 * Parses and validates the header of a safetensors file. Throws {@link SafetensorsError} with a
 * specific message for any malformed input (see safetensors.ts for the list of checks).
 */
export function parseSafetensorsHeader(bytes: Uint8Array, options: DecodeSafetensorsOptions = {}): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) fail('input must be a Uint8Array');
  const maxHeader = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxTensors = options.maxTensors ?? DEFAULT_MAX_TENSORS;
  if (bytes.length < 8) {
    fail(`file is truncated: ${bytes.length} bytes, but the 8-byte header length prefix is missing`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo; // exact up to 2^53; larger values are rejected below anyway
  if (headerLen > maxHeader) {
    fail(`header is too big: ${headerLen} bytes (limit ${maxHeader})`);
  }
  if (8 + headerLen > bytes.length) {
    fail(`file is truncated: header declares ${headerLen} bytes but only ${bytes.length - 8} follow the length prefix`);
  }
  if (headerLen < 2) fail(`header is too small (${headerLen} bytes) to hold a JSON object`);

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail('header is not valid UTF-8');
  }
  if (headerText[0] !== '{') fail('header is not a JSON object (must start with "{")');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const names = Object.keys(header as object);
  const tensorCount = names.length - (names.includes(METADATA_KEY) ? 1 : 0);
  if (tensorCount > maxTensors) fail(`header lists ${tensorCount} tensors (limit ${maxTensors})`);

  const bufferStart = 8 + headerLen;
  const bufferLen = bytes.length - bufferStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];

  for (const name of names) {
    const raw = (header as Record<string, unknown>)[name];
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('"__metadata__" must be an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__" value for ${describe(k)} must be a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `tensor ${describe(name)}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`${where}: entry must be an object`);
    const info = raw as Record<string, unknown>;
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string') fail(`${where}: missing or non-string "dtype"`);
    if (!Object.prototype.hasOwnProperty.call(KNOWN_DTYPE_SIZES, dtype)) {
      fail(`${where}: unknown dtype ${describe(dtype)}`);
    }
    const convertible = CONVERTIBLE.has(dtype);
    if (dtype !== 'F32' && dtype !== 'I32' && !(convertible && options.upcastFloats)) {
      fail(
        `${where}: unsupported dtype ${dtype} (supported: F32, I32` + (convertible ? '; F16, BF16 and F64 are converted to F32 only with upcastFloats)' : ')'),
      );
    }
    if (!isShape(shape)) fail(`${where}: "shape" must be an array of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
      fail(`${where}: "data_offsets" must be [begin, end] with non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > bufferLen) {
      fail(`${where}: data_offsets [${begin}, ${end}] are out of range (byte buffer has ${bufferLen} bytes)`);
    }
    const expected = product(shape) * KNOWN_DTYPE_SIZES[dtype];
    if (expected !== end - begin) {
      fail(`${where}: shape [${shape.join(', ')}] × ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    entries.push({ name, dtype, shape: [...shape], begin, end });
  }

  // The tensors must tile the byte buffer exactly: sorted by offset, each starts where the
  // previous ended (no overlap, no gap) and the last one ends at the end of the file.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of byOffset) {
    if (e.begin < cursor) fail(`tensor ${describe(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap another tensor`);
    if (e.begin > cursor) fail(`tensor ${describe(e.name)}: gap in the byte buffer before offset ${e.begin}`);
    cursor = e.end;
  }
  if (cursor !== bufferLen) {
    fail(`byte buffer has ${bufferLen} bytes but the tensors cover ${cursor} (trailing bytes or truncated file)`);
  }
  return { entries: byOffset, metadata, bufferStart };
}
