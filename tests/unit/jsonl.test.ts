import { describe, expect, it, vi } from 'vitest';
import { parseJsonlBytes, type DatasetKind, type JsonlOptions, type JsonlResult, type Preference, type Ranking } from '../../src/io/jsonl';
import { preferencesToRankings, rankingsToPreferences, toJsonl } from '../../src/io/jsonlExport';

/** JSONL text through the reader the app's file import uses (a file's bytes, parseJsonlBytes). */
const parseText = (text: string, kind: DatasetKind | 'auto' = 'auto', options?: JsonlOptions): JsonlResult =>
  parseJsonlBytes(new TextEncoder().encode(text), kind, options);

function fails(r: JsonlResult): { line: number; field?: string; message: string } {
  if (r.ok) throw new Error(`expected failure, got ok with ${r.rows.length} rows`);
  return r.error;
}

function expectError(text: string, kind: DatasetKind | 'auto', line: number, field: string | undefined, re: RegExp): void {
  const r = parseText(text, kind);
  const e = fails(r);
  expect(e.line).toBe(line);
  expect(e.field).toBe(field);
  expect(e.message).toMatch(re);
  expect(e.message.startsWith(line > 0 ? `line ${line}` : 'file')).toBe(true);
}

const demo = (p: string, c: string) => JSON.stringify({ prompt: p, completion: c });
const pref = (p: string, c: string, r: string) => JSON.stringify({ prompt: p, chosen: c, rejected: r });
const rank = (p: string, r: unknown) => JSON.stringify({ prompt: p, ranking: r });

describe('parseJsonl: accepted input', () => {
  it('parses each kind and detects it with auto', () => {
    const d = [demo('a', 'b'), demo('', 'c')].join('\n');
    expect(parseText(d, 'demonstrations')).toEqual({
      ok: true,
      kind: 'demonstrations',
      shape: 'standard',
      rows: [
        { prompt: 'a', completion: 'b' },
        { prompt: '', completion: 'c' },
      ],
    });
    expect(parseText(d, 'auto')).toMatchObject({ ok: true, kind: 'demonstrations' });
    expect(parseText(pref('p', 'good', 'bad'), 'auto')).toEqual({
      ok: true,
      kind: 'preferences',
      shape: 'standard',
      rows: [{ prompt: 'p', chosen: 'good', rejected: 'bad' }],
    });
    expect(parseText(rank('p', ['a', 'b', 'c']), 'auto')).toEqual({
      ok: true,
      kind: 'rankings',
      shape: 'standard',
      rows: [{ prompt: 'p', ranking: ['a', 'b', 'c'] }],
    });
  });

  it('accepts a BOM, CRLF line ends, blank lines and extra keys (which are dropped)', () => {
    const text = '\ufeff' + demo('a', 'b') + '\r\n\r\n   \r\n' + JSON.stringify({ prompt: 'x', completion: 'y', id: 7 }) + '\r\n';
    const r = parseText(text, 'demonstrations');
    expect(r).toEqual({
      ok: true,
      kind: 'demonstrations',
      shape: 'standard',
      rows: [
        { prompt: 'a', completion: 'b' },
        { prompt: 'x', completion: 'y' },
      ],
    });
    // CR inside a JSON string survives; only the line-ending CR is stripped
    const r2 = parseText(demo('a\r', 'b\r\n') + '\r\n', 'demonstrations');
    expect(r2.ok && r2.rows[0]).toEqual({ prompt: 'a\r', completion: 'b\r\n' });
  });

  it('parseJsonlBytes decodes UTF-8 (with BOM) and reports invalid bytes with their line', () => {
    const enc = new TextEncoder();
    const body = enc.encode(demo('héllo', 'wörld ✓ 😀') + '\n');
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...body]);
    const r = parseJsonlBytes(withBom, 'auto');
    expect(r.ok && r.rows[0]).toEqual({ prompt: 'héllo', completion: 'wörld ✓ 😀' });

    const lines = enc.encode(demo('a', 'b') + '\n' + demo('c', 'd') + '\n' + demo('e', 'XX') + '\n');
    const bad = new Uint8Array(lines);
    const at = bad.lastIndexOf(0x58); // last "X" on line 3
    bad[at] = 0xc3; // starts a 2-byte sequence followed by '"' → invalid
    const e = fails(parseJsonlBytes(bad, 'auto'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/line 3: is not valid UTF-8 \(bad byte 0xc3 at byte offset \d+\)/);
    // truncated multi-byte sequence at EOF, overlong encoding, surrogate code point
    expect(fails(parseJsonlBytes(new Uint8Array([...enc.encode(demo('a', 'b')), 0xe2, 0x82]))).message).toMatch(/UTF-8/);
    expect(fails(parseJsonlBytes(new Uint8Array([0xc0, 0xaf]))).message).toMatch(/UTF-8/);
    expect(fails(parseJsonlBytes(new Uint8Array([0xed, 0xa0, 0x80]))).message).toMatch(/UTF-8/);
  });
});

describe('parseJsonl: malformed input names the line and field', () => {
  it('bad JSON', () => {
    expectError(demo('a', 'b') + '\n{"prompt": "x", ', 'demonstrations', 2, undefined, /invalid JSON/);
  });
  it('empty files', () => {
    expectError('', 'auto', 0, undefined, /empty/);
    expectError('\ufeff\n\r\n  \n', 'demonstrations', 0, undefined, /empty/);
  });
  it('not an object', () => {
    expectError(demo('a', 'b') + '\n[1,2]', 'demonstrations', 2, undefined, /expected a JSON object, got an array/);
    expectError('"hi"', 'auto', 1, undefined, /expected a JSON object, got a string/);
    expectError('null', 'preferences', 1, undefined, /got null/);
  });
  it('missing fields', () => {
    expectError(demo('a', 'b') + '\n' + JSON.stringify({ prompt: 'x' }), 'demonstrations', 2, 'completion', /missing/);
    expectError(JSON.stringify({ completion: 'x' }), 'demonstrations', 1, 'prompt', /missing/);
    expectError(JSON.stringify({ prompt: 'p', chosen: 'c' }), 'preferences', 1, 'rejected', /missing/);
    expectError(JSON.stringify({ prompt: 'p' }), 'rankings', 1, 'ranking', /missing/);
  });
  it('non-string or empty fields', () => {
    expectError(JSON.stringify({ prompt: 1, completion: 'x' }), 'demonstrations', 1, 'prompt', /must be a string, got a number/);
    expectError(JSON.stringify({ prompt: 'p', completion: null }), 'demonstrations', 1, 'completion', /got null/);
    expectError(JSON.stringify({ prompt: 'p', completion: '' }), 'demonstrations', 1, 'completion', /must not be empty/);
    expectError(JSON.stringify({ prompt: 'p', chosen: ['x'], rejected: 'y' }), 'preferences', 1, 'chosen', /got an array/);
    // a pair without a prompt is TRL's implicit-prompt format (trlFormats.test.ts), so a missing prompt is no error there
    expectError(pref('p', 'same', 'same'), 'preferences', 1, 'rejected', /identical/);
    expectError(rank('p', ['a', 5]), 'rankings', 1, 'ranking[1]', /must be a string, got a number/);
    expectError(rank('p', ['a', '']), 'rankings', 1, 'ranking[1]', /must not be empty/);
    expectError(rank('p', 'a,b'), 'rankings', 1, 'ranking', /must be an array/);
  });
  it('rankings with too few / too many items or duplicates', () => {
    expectError(rank('p', ['a']), 'rankings', 1, 'ranking', /between 2 and 9 items, got 1/);
    expectError(rank('p', []), 'rankings', 1, 'ranking', /got 0/);
    expectError(rank('p', 'abcdefghij'.split('')), 'rankings', 1, 'ranking', /got 10/);
    expectError(rank('p', ['a', 'b', 'c']) + '\n' + rank('q', ['a', 'b', 'a']), 'rankings', 2, 'ranking[2]', /duplicates ranking\[0\]/);
    expect(parseText(rank('p', 'abcdefghi'.split('')), 'rankings').ok).toBe(true);
  });
  it('auto detection failures and kind mismatches', () => {
    expectError(JSON.stringify({ prompt: 'p', text: 'x' }), 'auto', 1, undefined, /cannot tell the dataset format/);
    expectError(JSON.stringify({ prompt: 'p', completion: 'x', chosen: 'y' }), 'auto', 1, undefined, /ambiguous/);
    expectError(demo('a', 'b') + '\n' + pref('p', 'c', 'r'), 'auto', 2, 'completion', /missing/);
    expectError(demo('a', 'b'), 'rankings', 1, 'ranking', /missing/);
  });
  it('collects several errors, first one in `error`', () => {
    const r = parseText(['{', demo('a', 'b'), JSON.stringify({ prompt: 2, completion: 3 })].join('\n'), 'demonstrations');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [1, undefined],
      [3, 'prompt'],
      [3, 'completion'],
    ]);
    const many = Array.from({ length: 100 }, () => '{').join('\n');
    const r2 = parseText(many, 'auto', { maxErrors: 5 });
    expect(!r2.ok && r2.errors.length).toBe(5);
  });
});

describe('parseJsonl: text the tokenizer cannot read (issue #15, item 8)', () => {
  it('refuses a pair whose responses become identical for the model, naming line, field and characters', () => {
    expectError(
      pref('q', 'fine', 'finer') + '\n' + pref('p', 'café', 'cafè'),
      'auto',
      2,
      'rejected',
      /^line 2, field "rejected": becomes identical to "chosen" for the model: .*<unk>.*"é" \(U\+00E9\), "è" \(U\+00E8\)/,
    );
    expectError(pref('p', 'café', 'cafè'), 'auto', 1, 'rejected', /could not see the difference/);
  });
  it('refuses a ranking with responses the model cannot tell apart', () => {
    expectError(
      rank('p', ['日本', '中国', '한국']),
      'auto',
      1,
      'ranking[1]',
      /becomes identical to ranking\[0\] for the model: .*"日" \(U\+65E5\), "本" \(U\+672C\), "中" \(U\+4E2D\), "国" \(U\+56FD\)/,
    );
    expectError(rank('p', ['ok', 'naïve', 'naive', 'naîve']), 'rankings', 1, 'ranking[3]', /identical to ranking\[1\]/);
  });
  it('accepts text that only loses characters, with a warning per field', () => {
    const r = parseText([pref('Résumé?', 'yes ✓', 'no'), demo('plain', 'ascii'), rank('p', ['a 🙂', 'b'])].join('\n'), 'auto');
    expect(r.ok).toBe(false); // kinds differ: the demo line is refused; the pair alone below
    const pairs = parseText([pref('Résumé?', 'yes ✓', 'no'), pref('plain', 'ascii', 'text')].join('\n'), 'auto');
    expect(pairs.ok && pairs.rows.length).toBe(2);
    expect(pairs.ok && pairs.warnings?.map((w) => w.message)).toEqual([
      'line 1, field "prompt": has characters the model cannot read (each becomes <unk>): "é" (U+00E9)',
      'line 1, field "chosen": has characters the model cannot read (each becomes <unk>): "✓" (U+2713)',
    ]);
    const ranked = parseText(rank('p', ['a 🙂', 'b']), 'auto');
    expect(ranked.ok && ranked.warnings?.[0]).toMatchObject({ line: 1, field: 'ranking[0]', message: expect.stringMatching(/"🙂" \(U\+1F642\)/) });
  });
  it('a 20 MB file of rankings in a script the tokenizer does not know is refused line by line, quickly', () => {
    const item = (k: number) => String.fromCodePoint(0x4e00 + k).repeat(35_000); // ~105 KB of UTF-8 each
    const line = rank(
      'p',
      Array.from({ length: 9 }, (_, k) => item(k)),
    );
    const bytes = new TextEncoder().encode(Array.from({ length: 21 }, () => line).join('\n'));
    const cpu0 = process.cpuUsage();
    const r = parseJsonlBytes(bytes, 'rankings', { maxTotalBytes: 21 << 20 });
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000; // CPU time: load on the machine does not stretch it
    expect(fails(r).message).toMatch(/^line 1, field "ranking\[1\]": becomes identical to ranking\[0\]/);
    expect(!r.ok && r.errors).toHaveLength(20);
    expect(ms).toBeLessThan(2000); // the bound for any hostile input
  });
  it('has no warnings key for plain ASCII', () => {
    expect(parseText(demo('a', 'b'), 'auto')).toEqual({ ok: true, kind: 'demonstrations', shape: 'standard', rows: [{ prompt: 'a', completion: 'b' }] });
    expect('warnings' in parseText(demo('a', 'b'), 'auto')).toBe(false);
  });
});

describe('parseJsonl: size limits', () => {
  it('rejects a 10 MB line quickly without parsing it', () => {
    const huge = '{"prompt": "' + 'x'.repeat(10 << 20) + '", "completion": "y"}';
    const bytes = new TextEncoder().encode(demo('a', 'b') + '\n' + huge + '\n' + demo('c', 'd'));
    const spy = vi.spyOn(JSON, 'parse');
    const cpu0 = process.cpuUsage();
    const r = parseJsonlBytes(bytes, 'demonstrations');
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000; // CPU time: load on the machine does not stretch it
    const parsedLengths = spy.mock.calls.map((c) => String(c[0]).length);
    spy.mockRestore();
    expect(parsedLengths.length).toBe(2); // lines 1 and 3 only
    expect(Math.max(...parsedLengths)).toBeLessThan(100);
    const e = fails(r);
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/line 2: line is too long \(over 1 MB\)/);
    // The bound for any hostile input, on CPU time: ~50× what it takes here.
    expect(ms).toBeLessThan(2000);
  });

  it('measures lines in UTF-8 bytes', () => {
    const line = demo('p', 'é'.repeat(600)); // ~1.2 KB in UTF-8, ~0.6 K chars
    expect(fails(parseText(line, 'auto', { maxLineBytes: 1000 })).message).toMatch(/too long/);
    expect(parseText(line, 'auto', { maxLineBytes: 1300 }).ok).toBe(true);
  });

  it('rejects an oversized file before parsing', () => {
    const text = '{'.repeat(2000);
    const e = fails(parseText(text, 'auto', { maxTotalBytes: 1000 }));
    expect(e.line).toBe(0);
    expect(e.message).toMatch(/file: is too large/);
    const e2 = fails(parseJsonlBytes(new Uint8Array(21 << 20), 'auto'));
    expect(e2.message).toMatch(/too large \(21 MB, limit 20 MB\)/);
  });
});

describe('serialisation and conversions', () => {
  it('toJsonl → parseJsonl round trip with awkward strings', () => {
    const awkward = ['line\nbreak', 'tab\t"quote"', 'uni ✓ 😀 \u2028', '<script>alert(1)</script>', '\\', ''];
    const demos = awkward.map((s, i) => ({ prompt: s, completion: `c${i}${s}` }));
    const prefs: Preference[] = awkward.map((s) => ({ prompt: s, chosen: 'A' + s, rejected: 'B' + s }));
    const ranks: Ranking[] = [{ prompt: awkward[0], ranking: ['x', 'y\n', 'z😀'] }];
    for (const [kind, rows] of [
      ['demonstrations', demos],
      ['preferences', prefs],
      ['rankings', ranks],
    ] as const) {
      const text = toJsonl(kind, rows as never);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.split('\n').length).toBe(rows.length + 1);
      const back = parseText(text, 'auto');
      expect(back.ok && { kind: back.kind, rows: back.rows }).toEqual({ kind, rows });
      // tabs, ✓, 😀 and U+2028 are outside the tokenizer's alphabet: imported, with a warning each
      expect(back.ok && back.warnings?.length).toBeGreaterThan(0);
    }
    expect(toJsonl('demonstrations', [])).toBe('');
  });

  it('preferencesToRankings makes one K=2 ranking per pair', () => {
    const prefs: Preference[] = [
      { prompt: 'p', chosen: 'a', rejected: 'b' },
      { prompt: 'p', chosen: 'b', rejected: 'c' },
    ];
    expect(preferencesToRankings(prefs)).toEqual([
      { prompt: 'p', ranking: ['a', 'b'] },
      { prompt: 'p', ranking: ['b', 'c'] },
    ]);
  });

  it('rankingsToPreferences expands to all C(K,2) pairs, better first', () => {
    const out = rankingsToPreferences([
      { prompt: 'p', ranking: ['a', 'b', 'c', 'd'] },
      { prompt: 'q', ranking: ['x', 'y'] },
    ]);
    expect(out.length).toBe(6 + 1);
    expect(out.slice(0, 6).map((p) => p.chosen + p.rejected)).toEqual(['ab', 'ac', 'ad', 'bc', 'bd', 'cd']);
    expect(out[6]).toEqual({ prompt: 'q', chosen: 'x', rejected: 'y' });
    const nine = rankingsToPreferences([{ prompt: '', ranking: 'abcdefghi'.split('') }]);
    expect(nine.length).toBe(36);
    expect(rankingsToPreferences(preferencesToRankings([{ prompt: 'p', chosen: 'a', rejected: 'b' }]))).toEqual([{ prompt: 'p', chosen: 'a', rejected: 'b' }]);
  });

  it('never throws on odd input', () => {
    const inputs: unknown[] = [undefined, null, 5, {}, '\ufeff', '\r\n', '\u0000', '{"__proto__": {"x": 1}}'];
    for (const x of inputs) {
      expect(() => parseJsonlBytes(x as Uint8Array, 'auto')).not.toThrow();
    }
    expect(parseText('{}', 'bogus' as never).ok).toBe(false);
  });
});
