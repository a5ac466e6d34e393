/**
 * CRC-32 (IEEE 802.3 / zlib / PNG: reflected polynomial 0xEDB88320, initial value and final
 * XOR 0xFFFFFFFF), table-driven, slicing by 4. Pure, no dependencies.
 *
 *   crc32(bytes("123456789")) === 0xcbf43926
 *
 * Incremental: `crc32(b, crc32(a)) === crc32(a ++ b)`. The result is an unsigned 32-bit integer.
 */

/** T[k][n]: the CRC of byte n followed by k zero bytes (T[0] is the classic byte table). */
let tables: Uint32Array[] | null = null;

function makeTables(): Uint32Array[] {
  const t = [0, 1, 2, 3].map(() => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k][n] = (t[0][t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8)) >>> 0;
  }
  return t;
}

function asBytes(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** CRC-32 of `data` (the bytes of a view, not of its whole buffer), continuing from `crc`. */
export function crc32(data: ArrayBufferLike | ArrayBufferView, crc = 0): number {
  const b = asBytes(data);
  const [t0, t1, t2, t3] = (tables ??= makeTables());
  let c = ~crc;
  const n = b.length;
  let i = 0;
  const n4 = n - (n % 4);
  for (; i < n4; i += 4) {
    c ^= b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    c = t3[c & 0xff] ^ t2[(c >>> 8) & 0xff] ^ t1[(c >>> 16) & 0xff] ^ t0[c >>> 24];
  }
  for (; i < n; i++) c = t0[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** `0xcbf43926` → "cbf43926" (8 lowercase hex digits), for messages. */
export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
