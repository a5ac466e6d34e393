import { describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensorsHeader, readTensor, SafetensorsError, type SafetensorsTensor } from '../../src/io/safetensors';
import { gpt2Config, Gpt2ConfigError, parseGpt2Config } from '../../src/io/gpt2Layout';

/** A whole file read back as an import reads it: the header (checked first), then every tensor. */
function decodeSafetensors(bytes: Uint8Array, options?: Parameters<typeof parseSafetensorsHeader>[1]) {
  const { entries, metadata, bufferStart } = parseSafetensorsHeader(bytes, options);
  return { tensors: entries.map((e) => readTensor(bytes, bufferStart, e)), metadata };
}

/** Builds a file by hand from a header object (or raw header text) and a byte buffer. */
function rawFile(header: unknown, buffer: Uint8Array = new Uint8Array(0), opts: { declaredLen?: number } = {}): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + buffer.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(opts.declaredLen ?? h.length), true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}

function f32Bits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function bitsOf(a: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function expectError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as Error).message).toMatch(pattern);
}

const sample = (): SafetensorsTensor[] => [
  { name: 'wte.weight', dtype: 'F32', shape: [3, 2], data: new Float32Array([1, -2.5, 3e-39, 4, 5, 6]) },
  { name: 'ids', dtype: 'I32', shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) },
  { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([7]) },
  { name: 'empty', dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
];

describe('safetensors encode/decode', () => {
  it('round-trips bit-exactly, including NaN payloads, -0, infinities and denormals', () => {
    const special = f32Bits([0x7fc00000, 0x7fc00001, 0xffbadbad, 0x7f800001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001]);
    const tensors = [...sample(), { name: 'special', dtype: 'F32' as const, shape: [2, 4], data: special }];
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: '<b>hi</b> ✓' });
    const out = decodeSafetensors(bytes);
    expect(out.metadata).toEqual({ format: 'pt', note: '<b>hi</b> ✓' });
    expect(out.tensors.map((t) => t.name).sort()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const d = out.tensors.find((x) => x.name === t.name)!;
      expect(d.dtype).toBe(t.dtype);
      expect(d.shape).toEqual(t.shape);
      expect(d.data).toBeInstanceOf(t.dtype === 'F32' ? Float32Array : Int32Array);
      expect(bitsOf(d.data)).toEqual(bitsOf(t.data));
    }
    const neg0 = out.tensors.find((x) => x.name === 'special')!.data[4];
    expect(Object.is(neg0, -0)).toBe(true);
  });

  it('writes the header exactly as the format specifies (checked by hand)', () => {
    const bytes = encodeSafetensors(sample(), { format: 'pt' });
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(dv.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const headerBytes = bytes.subarray(8, 8 + n);
    const text = new TextDecoder().decode(headerBytes);
    expect(text[0]).toBe('{');
    // padding is only trailing spaces
    const trimmed = text.replace(/ +$/, '');
    expect(text.slice(trimmed.length)).toMatch(/^ *$/);
    expect(text.length - trimmed.length).toBeLessThan(8);
    const header = JSON.parse(text);
    expect(Object.keys(header)[0]).toBe('__metadata__');
    expect(header.__metadata__).toEqual({ format: 'pt' });
    // tensors sorted by name, contiguous, covering the buffer
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names).toEqual(['empty', 'ids', 'scalar', 'wte.weight']);
    let cursor = 0;
    for (const name of names) {
      const { dtype, shape, data_offsets } = header[name];
      expect(Object.keys(header[name]).sort()).toEqual(['data_offsets', 'dtype', 'shape']);
      expect(data_offsets[0]).toBe(cursor);
      const count = shape.reduce((a: number, b: number) => a * b, 1);
      expect(data_offsets[1] - data_offsets[0]).toBe(count * 4);
      expect(['F32', 'I32']).toContain(dtype);
      cursor = data_offsets[1];
    }
    expect(bytes.length).toBe(8 + n + cursor);
    // raw little-endian values at the offsets
    const base = 8 + n;
    const w = header['wte.weight'];
    expect(dv.getFloat32(base + w.data_offsets[0] + 4, true)).toBe(-2.5);
    const ids = header.ids;
    expect(dv.getInt32(base + ids.data_offsets[0] + 12, true)).toBe(-2147483648);
    expect(header.scalar.shape).toEqual([]);
  });

  it('pads the header with spaces to a multiple of 8 for every header length', () => {
    const residues = new Set<number>();
    for (let k = 1; k <= 8; k++) {
      const bytes = encodeSafetensors([{ name: 'x'.repeat(k), dtype: 'I32', shape: [1], data: new Int32Array([k]) }]);
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      const json = text.replace(/ +$/, '');
      residues.add(json.length % 8);
      expect(n % 8).toBe(0);
      expect(n - json.length).toBeLessThan(8);
      expect(JSON.parse(json)).toEqual({ ['x'.repeat(k)]: { dtype: 'I32', shape: [1], data_offsets: [0, 4] } });
      expect(new DataView(bytes.buffer).getInt32(8 + n, true)).toBe(k);
    }
    expect(residues.size).toBe(8); // every unpadded length mod 8 was exercised
  });

  it('omits __metadata__ when none is given and handles no tensors', () => {
    const bytes = encodeSafetensors([]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))).toEqual({});
    expect(bytes.length).toBe(8 + n);
    expect(decodeSafetensors(bytes)).toEqual({ tensors: [], metadata: {} });
  });

  it('reads files written by another writer (unsorted, unaligned, subarray input)', () => {
    // header length 3 mod 8 → data starts unaligned
    const buf = new Uint8Array(12);
    new DataView(buf.buffer).setFloat32(0, 1.5, true);
    new DataView(buf.buffer).setFloat32(4, -3, true);
    new DataView(buf.buffer).setInt32(8, 42, true);
    const file = rawFile({ b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, a: { dtype: 'I32', shape: [1, 1], data_offsets: [8, 12] } }, buf);
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 3);
    const out = decodeSafetensors(padded.subarray(3));
    expect(out.tensors.map((t) => t.name)).toEqual(['b', 'a']);
    expect(Array.from(out.tensors[0].data)).toEqual([1.5, -3]);
    expect(Array.from(out.tensors[1].data)).toEqual([42]);
    expect(out.tensors[0].data.byteOffset % 4).toBe(0);
    // a copy, not a view
    padded.fill(0);
    expect(Array.from(out.tensors[0].data)).toEqual([1.5, -3]);
  });

  it('upcasts F16 / BF16 / F64 only when asked', () => {
    const buf = new Uint8Array(2 + 2 + 8);
    const dv = new DataView(buf.buffer);
    dv.setUint16(0, 0x3c00, true); // f16 1.0
    dv.setUint16(2, 0xc040, true); // bf16 -3.0
    dv.setFloat64(4, 0.25, true);
    const file = rawFile(
      {
        h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] },
        d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
      },
      buf,
    );
    expectError(() => decodeSafetensors(file), /unsupported dtype F16.*upcastFloats/);
    const out = decodeSafetensors(file, { upcastFloats: true });
    expect(out.tensors.map((t) => [t.name, t.dtype, t.data[0]])).toEqual([
      ['h', 'F32', 1],
      ['b', 'F32', -3],
      ['d', 'F32', 0.25],
    ]);
  });

  describe('decoding errors', () => {
    const good = encodeSafetensors(sample());
    const goodN = Number(new DataView(good.buffer).getBigUint64(0, true));
    const f = (n: number) => new Uint8Array(n * 4);

    it('truncated files', () => {
      expectError(() => decodeSafetensors(new Uint8Array(0)), /truncated/);
      expectError(() => decodeSafetensors(good.subarray(0, 7)), /truncated/);
      expectError(() => decodeSafetensors(good.subarray(0, 8 + goodN - 1)), /truncated: header declares/);
      expectError(() => decodeSafetensors(good.subarray(0, good.length - 1)), /tensors cover|out of range/);
      // every prefix fails cleanly with SafetensorsError
      for (let n = 0; n < good.length; n++) {
        expect(() => decodeSafetensors(good.subarray(0, n))).toThrow(SafetensorsError);
      }
    });

    it('header too big', () => {
      const file = rawFile({}, undefined, { declaredLen: 200_000_000 });
      expectError(() => decodeSafetensors(file), /header is too big/);
      const huge = new Uint8Array(16);
      new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
      expectError(() => decodeSafetensors(huge), /header is too big/);
      expectError(() => decodeSafetensors(rawFile({ a: 1 }), { maxHeaderBytes: 4 }), /header is too big/);
    });

    it('bad header text', () => {
      expectError(() => decodeSafetensors(rawFile('{"a": ')), /not valid JSON/);
      expectError(() => decodeSafetensors(rawFile('[1,2]   ')), /not a JSON object/);
      expectError(() => decodeSafetensors(rawFile(' {}')), /must start with/);
      expectError(() => decodeSafetensors(rawFile('null')), /not a JSON object/);
      const bad = rawFile('{"\u00e9":1}');
      bad[10] = 0xff;
      expectError(() => decodeSafetensors(bad), /UTF-8/);
    });

    it('bad metadata', () => {
      expectError(() => decodeSafetensors(rawFile({ __metadata__: { a: 1 } })), /__metadata__.*"a".*string/);
      expectError(() => decodeSafetensors(rawFile({ __metadata__: [] })), /__metadata__" must be an object/);
    });

    it('offsets out of range, reversed, overlapping, gaps', () => {
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f(1))), /"a".*out of range/);
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f(1))), /end before they begin/);
      expectError(
        () =>
          decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f(3))),
        /"b".*overlap/,
      );
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f(2))), /gap/);
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f(2))), /trailing bytes/);
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, f(2))), /data_offsets" must be/);
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f(1))), /data_offsets/);
    });

    it('shape × dtype size mismatch and bad shapes', () => {
      expectError(
        () => decodeSafetensors(rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f(2))),
        /"a": shape \[3\] × F32 needs 12 bytes but data_offsets span 8/,
      );
      expectError(
        () => decodeSafetensors(rawFile({ a: { dtype: 'I32', shape: [2, -1], data_offsets: [0, 8] } }, f(2))),
        /shape" must be an array of non-negative integers/,
      );
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'I32', shape: '2', data_offsets: [0, 8] } }, f(2))), /shape/);
    });

    it('unknown and unsupported dtypes, malformed entries', () => {
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, f(1))), /"a": unknown dtype "F33"/);
      expectError(() => decodeSafetensors(rawFile({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f(2))), /unsupported dtype I64/);
      expectError(() => decodeSafetensors(rawFile({ a: { shape: [1], data_offsets: [0, 4] } }, f(1))), /"dtype"/);
      expectError(() => decodeSafetensors(rawFile({ a: 5 })), /"a": entry must be an object/);
    });
  });

  describe('encoding errors', () => {
    it('rejects inconsistent input', () => {
      const t = (o: Partial<SafetensorsTensor>): SafetensorsTensor => ({ name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1), ...o });
      expectError(() => encodeSafetensors([t({}), t({})]), /duplicate/);
      expectError(() => encodeSafetensors([t({ name: '__metadata__' })]), /reserved/);
      expectError(() => encodeSafetensors([t({ shape: [2] })]), /2 elements but data has 1/);
      expectError(() => encodeSafetensors([t({ dtype: 'I32' })]), /Int32Array/);
      expectError(() => encodeSafetensors([t({ shape: [1.5] })]), /shape/);
      expectError(() => encodeSafetensors([t({})], { a: 1 as unknown as string }), /metadata value/);
    });
  });
});

describe('gpt2Layout', () => {
  const dims = { vocabSize: 100, nPositions: 32, nEmbd: 16, nLayer: 2, nHead: 4 };

  it('builds an HF config that parses back', () => {
    const cfg = gpt2Config({ ...dims, eosTokenId: 0 });
    expect(cfg).toMatchObject({
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      vocab_size: 100,
      n_positions: 32,
      n_ctx: 32,
      n_embd: 16,
      n_layer: 2,
      n_head: 4,
      n_inner: null,
      layer_norm_epsilon: 1e-5,
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
      eos_token_id: 0,
      pad_token_id: 0,
    });
    const back = parseGpt2Config(JSON.stringify(cfg));
    expect(back).toMatchObject({ ...dims, nInner: 64, eosTokenId: 0, padTokenId: 0, head: 'lm' });
    expect(parseGpt2Config(gpt2Config({ ...dims, head: 'score' })).head).toBe('score');
  });

  it('parses the published gpt2 (124M) config.json', () => {
    const hub = `{"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
      "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
      "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
      "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
      "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
      "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
      "vocab_size": 50257}`;
    expect(parseGpt2Config(hub)).toEqual({
      vocabSize: 50257,
      nPositions: 1024,
      nEmbd: 768,
      nLayer: 12,
      nHead: 12,
      nInner: 3072,
      layerNormEpsilon: 1e-5,
      bosTokenId: 50256,
      eosTokenId: 50256,
      padTokenId: 50256,
      head: 'lm',
    });
  });

  it('rejects bad dims and unsupported configs with clear messages', () => {
    expect(() => gpt2Config({ ...dims, nHead: 3 })).toThrow(/divisible/);
    expect(() => gpt2Config({ ...dims, nLayer: 0 })).toThrow(/nLayer must be a positive integer/);
    const base = gpt2Config(dims) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>, re: RegExp) => {
      expect(() => parseGpt2Config({ ...base, ...patch })).toThrow(Gpt2ConfigError);
      expect(() => parseGpt2Config({ ...base, ...patch })).toThrow(re);
    };
    bad({ model_type: 'llama' }, /model_type must be "gpt2"/);
    bad({ n_embd: '16' }, /n_embd must be a positive integer/);
    bad({ n_ctx: 64 }, /n_ctx \(64\) must equal n_positions/);
    bad({ activation_function: 'relu' }, /activation_function "relu"/);
    bad({ tie_word_embeddings: false }, /tie_word_embeddings must be true/);
    bad({ eos_token_id: 100 }, /eos_token_id must be an integer in \[0, vocab_size − 1\]/);
    bad({ architectures: ['BertModel'] }, /architectures\[0\]/);
    expect(() => parseGpt2Config('{')).toThrow(/not valid JSON/);
    expect(() => parseGpt2Config([])).toThrow(/JSON object/);
  });
});
