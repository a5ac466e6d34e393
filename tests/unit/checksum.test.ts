import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crcHex } from '../../src/store/checksum';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('a'))).toBe(0xe8b7be43);
    expect(crc32(ascii('abc'))).toBe(0x352441c2);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(4))).toBe(0x2144df1c);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it('agrees with zlib on random data of every length mod 4 and every alignment', () => {
    let s = 12345;
    const buf = new Uint8Array(4099);
    for (let i = 0; i < buf.length; i++) buf[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    for (const start of [0, 1, 2, 3]) {
      for (const len of [0, 1, 2, 3, 4, 5, 7, 8, 63, 1000, 4095]) {
        const view = buf.subarray(start, start + len);
        expect(crc32(view)).toBe(zlibCrc32(view));
      }
    }
  });

  it('hashes a view, not its whole buffer, and accepts ArrayBuffer and Float32Array', () => {
    const f = new Float32Array([1, -0, NaN, 3.5]);
    const bytes = new Uint8Array(f.buffer);
    expect(crc32(f)).toBe(zlibCrc32(bytes));
    expect(crc32(f.buffer)).toBe(zlibCrc32(bytes));
    expect(crc32(f.subarray(1, 3))).toBe(zlibCrc32(bytes.subarray(4, 12)));
  });

  it('is incremental', () => {
    const data = ascii('123456789');
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(0xcbf43926);
    }
  });

  it('formats as 8 hex digits', () => {
    expect(crcHex(0xcbf43926)).toBe('cbf43926');
    expect(crcHex(0x2a)).toBe('0000002a');
  });
});
