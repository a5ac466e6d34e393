import { describe, expect, it } from 'vitest';
import { deflateSync, inflateSync } from 'fflate';
import { base64urlDecode, base64urlEncode } from '../../src/share/base64url';
import { decodeLink, encodeLink, type DecodeLinkResult } from '../../src/share/link';
import { defaultSetup, type LinkSchema, type RunSetup } from '../../src/share/linkSchema';
import { Rng } from '../../src/util/rng';
import { craftLink as craft, LINK_V1_PREFIX } from './craftLink';

const schema: LinkSchema = {
  task: { type: 'enum', values: ['sentiment', 'arithmetic', 'copy'], default: 'sentiment' },
  preset: { type: 'enum', values: ['tiny', 'small'], default: 'tiny' },
  seed: { type: 'int', min: 0, max: 2 ** 32 - 1, default: 1 },
  config: {
    'ppo.lr': { type: 'number', min: 1e-7, max: 0.1, default: 1e-5 },
    'ppo.epochs': { type: 'int', min: 1, max: 16, default: 4 },
    'ppo.klCoef': { type: 'number', min: 0, max: 1, default: 0.02 },
    'sft.useEos': { type: 'boolean', default: true },
    'rm.loss': { type: 'enum', values: ['pairwise', 'listwise'], default: 'pairwise' },
    'ui.note': { type: 'string', maxLength: 100, default: '' },
  },
};
const defaults = defaultSetup(schema);

/** Seeded draws in [0, 1) (the app's Rng) so failures are reproducible. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** Reads the JSON inside a hash by hand. */
function payloadOf(hash: string): unknown {
  expect(hash.startsWith(LINK_V1_PREFIX)).toBe(true);
  const bytes = base64urlDecode(hash.slice(LINK_V1_PREFIX.length))!;
  return JSON.parse(new TextDecoder().decode(inflateSync(bytes)));
}

function encodeOk(setup: RunSetup): string {
  const r = encodeLink(setup, defaults);
  if (!r.ok) throw new Error(`encode failed: ${r.message}`);
  return r.hash;
}

function expectFailure(r: DecodeLinkResult, re: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.message).toMatch(re);
  expect(r.setup).toEqual(defaults);
}

const full: RunSetup = {
  task: 'arithmetic',
  preset: 'small',
  seed: 12345,
  config: { ...defaults.config, 'ppo.lr': 3e-4, 'ppo.epochs': 2, 'sft.useEos': false, 'rm.loss': 'listwise', 'ui.note': 'hé 😀' },
  dataset: {
    demonstrations: [{ prompt: '2+2=', completion: '4' }],
    rankings: [{ prompt: '3+4=', ranking: ['7', '8', '12'] }],
  },
};

describe('base64url', () => {
  it('round-trips all lengths and rejects foreign characters', () => {
    const next = rng(1);
    for (let n = 0; n < 40; n++) {
      const b = Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
      const s = base64urlEncode(b);
      expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(s).toBe(Buffer.from(b).toString('base64url'));
      expect(base64urlDecode(s)).toEqual(b);
    }
    expect(base64urlDecode('ab+c')).toBeNull();
    expect(base64urlDecode('abcde')).toBeNull();
    expect(base64urlDecode('é')).toBeNull();
  });
});

describe('encodeLink / decodeLink', () => {
  it('round-trips a full setup without warnings', () => {
    const hash = encodeOk(full);
    expect(hash.startsWith('#r1.')).toBe(true);
    expect(hash).toMatch(/^#r1\.[A-Za-z0-9_-]+$/);
    const r = decodeLink(hash, schema);
    expect(r).toEqual({ ok: true, setup: full, warnings: [] });
    // also without the leading '#', and with surrounding whitespace
    expect(decodeLink(hash.slice(1), schema)).toEqual(r);
    expect(decodeLink(` ${hash}\n`, schema)).toEqual(r);
  });

  it('writes only values that differ from the defaults', () => {
    const hash = encodeOk(defaults);
    expect(payloadOf(hash)).toEqual({ v: 1 });
    expect(hash.length).toBeLessThan(20);
    expect(decodeLink(hash, schema)).toEqual({ ok: true, setup: defaults, warnings: [] });

    const one = encodeOk({ ...defaults, config: { ...defaults.config, 'ppo.klCoef': 0.1 } });
    expect(payloadOf(one)).toEqual({ v: 1, config: { 'ppo.klCoef': 0.1 } });
    // a setup holding only the overrides (no other keys) encodes the same
    expect(encodeOk({ ...defaults, config: { 'ppo.klCoef': 0.1 } })).toBe(one);
    expect(payloadOf(encodeOk(full))).toEqual({
      v: 1,
      task: 'arithmetic',
      preset: 'small',
      seed: 12345,
      config: { 'ppo.epochs': 2, 'ppo.lr': 3e-4, 'rm.loss': 'listwise', 'sft.useEos': false, 'ui.note': 'hé 😀' },
      dataset: full.dataset,
    });
  });

  it('is deterministic regardless of key order', () => {
    const shuffled: RunSetup = { ...full, config: Object.fromEntries(Object.entries(full.config).reverse()) };
    expect(encodeOk(shuffled)).toBe(encodeOk(full));
  });

  it('reports too-large setups so the app can offer a file export', () => {
    const next = rng(7);
    const word = () => Math.floor(next() * 1e12).toString(36);
    const demonstrations = Array.from({ length: 800 }, () => ({ prompt: word(), completion: word() }));
    const r = encodeLink({ ...defaults, dataset: { demonstrations } }, defaults);
    expect(r.ok).toBe(false);
    if (r.ok || r.reason !== 'too-large') throw new Error('expected too-large');
    expect(r.length).toBeGreaterThan(r.limit);
    expect(r.limit).toBe(8000);
    expect(r.message).toMatch(/too large for a link.*Export it as a file/);
    const small = encodeLink({ ...defaults, seed: 99 }, defaults, { maxChars: 10 });
    expect(small).toMatchObject({ ok: false, reason: 'too-large' });
    expect(encodeLink({ ...defaults, seed: 99 }, defaults).ok).toBe(true);
  });

  it('refuses values a link cannot carry', () => {
    expect(encodeLink({ ...defaults, config: { 'ppo.lr': NaN } }, defaults)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(encodeLink({ ...defaults, config: { x: {} as never } }, defaults)).toMatchObject({ ok: false, reason: 'invalid' });
    const bad = encodeLink({ ...defaults, dataset: { rankings: [{ prompt: 'p', ranking: ['a', 'a'] }] } }, defaults);
    expect(bad).toMatchObject({ ok: false, reason: 'invalid' });
    expect(!bad.ok && bad.message).toMatch(/dataset.rankings row 1, field "ranking\[1\]"/);
  });

  it('an empty hash means defaults', () => {
    expect(decodeLink('', schema)).toEqual({ ok: true, setup: defaults, warnings: [] });
    expect(decodeLink('#', schema)).toEqual({ ok: true, setup: defaults, warnings: [] });
  });
});

describe('decodeLink: malformed links', () => {
  const good = encodeOk(full);

  it('garbled base64', () => {
    expectFailure(decodeLink('#r1.abc$def', schema), /damaged: it contains characters/);
    expectFailure(decodeLink('#r1.abcde', schema), /damaged/);
    expectFailure(decodeLink('#r1.', schema), /setup data is missing/);
  });

  it('truncated data', () => {
    expectFailure(decodeLink(good.slice(0, good.length - 10), schema), /damaged or incomplete|cut off/);
    expectFailure(decodeLink(good.slice(0, 8), schema), /damaged|cut off/);
  });

  it('bad compression', () => {
    expectFailure(decodeLink('#r1.' + base64urlEncode(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00])), schema), /could not be decompressed/);
  });

  it('bad JSON, not an object, bad text, missing version', () => {
    expectFailure(decodeLink(craft('{"v":1,'), schema), /not valid JSON/);
    expectFailure(decodeLink(craft('[1,2]'), schema), /not an object/);
    expectFailure(decodeLink(craft('{}'), schema), /unknown setup version/);
    expectFailure(decodeLink(craft('{"v":"1"}'), schema), /unknown setup version/);
    const notUtf8 = LINK_V1_PREFIX + base64urlEncode(deflateSync(new Uint8Array([0x7b, 0xff, 0x7d])));
    expectFailure(decodeLink(notUtf8, schema), /not valid text/);
  });

  it('a newer version of the app', () => {
    expectFailure(decodeLink('#r2.whatever', schema), /made by a newer version of the app/);
    expectFailure(decodeLink(craft({ v: 2, task: 'x' }), schema), /made by a newer version of the app/);
    expectFailure(decodeLink('#r0.abc', schema), /unknown format/);
  });

  it('not a run link, oversized links, decompression bombs', () => {
    expectFailure(decodeLink('#section-2', schema), /does not contain a run setup/);
    expectFailure(decodeLink('#r1.' + 'A'.repeat(70000), schema), /too long/);
    const bomb = craft(JSON.stringify({ v: 1, pad: ' '.repeat(3 << 20) }));
    expect(bomb.length).toBeLessThan(10000);
    expectFailure(decodeLink(bomb, schema), /too much data/);
  });

  it('never throws: random strings, truncations and byte flips', () => {
    const next = rng(42);
    const alphabets = ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', '#r1.%{}[]"\\<>&=+/ \n\t\u0000é😀'];
    const inputs: string[] = [];
    for (let i = 0; i < 400; i++) {
      const a = alphabets[i % 3 === 0 ? 1 : 0];
      const chars = Array.from(a);
      const len = Math.floor(next() * 200);
      let s = '';
      for (let k = 0; k < len; k++) s += chars[Math.floor(next() * chars.length)];
      inputs.push(i % 2 ? '#r1.' + s : s);
    }
    for (let n = 0; n <= good.length; n++) inputs.push(good.slice(0, n));
    for (let i = 0; i < 200; i++) {
      const bytes = base64urlDecode(good.slice(LINK_V1_PREFIX.length))!;
      const at = Math.floor(next() * bytes.length);
      bytes[at] ^= 1 << Math.floor(next() * 8);
      inputs.push(LINK_V1_PREFIX + base64urlEncode(bytes));
    }
    // random (valid) deflate streams of random JSON-ish text
    for (let i = 0; i < 100; i++) {
      const json = JSON.stringify({
        v: 1,
        config: { 'ppo.lr': next() > 0.5 ? next() : 'x', [String(next())]: [next()] },
        dataset: next() > 0.5 ? { rankings: [{}] } : 3,
      });
      inputs.push(craft(json));
    }
    inputs.push(...([undefined, null, 5, {}, []] as unknown as string[]));
    let failures = 0;
    for (const input of inputs) {
      let r: DecodeLinkResult | undefined;
      expect(() => (r = decodeLink(input, schema)), JSON.stringify(input)).not.toThrow();
      expect(typeof r!.ok).toBe('boolean');
      if (!r!.ok) {
        failures++;
        expect(r!.message.length).toBeGreaterThan(0);
        expect(r!.setup).toEqual(defaults);
      } else {
        // whatever was decoded satisfies the schema
        expect(schema.task.values).toContain(r!.setup.task);
        expect(Object.keys(r!.setup.config).sort()).toEqual(Object.keys(schema.config).sort());
      }
    }
    expect(failures).toBeGreaterThan(inputs.length / 2);
  });
});

describe('decodeLink: invalid values fall back per key', () => {
  it('out-of-range and wrong-type values name the key and allowed range; others are kept', () => {
    const r = decodeLink(
      craft({
        v: 1,
        task: 'copy',
        seed: -5,
        config: {
          'ppo.lr': 5,
          'ppo.epochs': 2.5,
          'ppo.klCoef': 0.5,
          'sft.useEos': 'yes',
          'rm.loss': 'hinge',
          'ui.note': 'x'.repeat(101),
        },
      }),
      schema,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setup.task).toBe('copy');
    expect(r.setup.seed).toBe(1);
    expect(r.setup.config).toEqual({ ...defaults.config, 'ppo.klCoef': 0.5 });
    expect(r.warnings).toEqual([
      'seed must be an integer from 0 to 4294967295; got -5. Using the default (1).',
      '"ppo.lr" must be a number from 1e-7 to 0.1; got 5. Using the default (0.00001).',
      '"ppo.epochs" must be an integer from 1 to 16; got 2.5. Using the default (4).',
      '"sft.useEos" must be true or false; got "yes". Using the default (true).',
      '"rm.loss" must be one of "pairwise", "listwise"; got "hinge". Using the default ("pairwise").',
      `"ui.note" must be text of at most 100 characters; got "${'x'.repeat(60)}"…. Using the default ("").`,
    ]);
  });

  it('unknown keys are ignored with a warning and cannot pollute prototypes', () => {
    const r = decodeLink(craft('{"v":1,"future":true,"config":{"ppo.bogus":1,"__proto__":{"polluted":1},"ppo.epochs":8},"dataset":{"videos":[]}}'), schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setup.config['ppo.epochs']).toBe(8);
    expect(r.warnings).toEqual([
      'Ignored unknown setting "future".',
      'Ignored unknown setting "ppo.bogus".',
      'Ignored unknown setting "__proto__".',
      'Ignored unknown dataset part "videos".',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.setup.config)).toBe(Object.prototype);
    expect(r.setup.dataset).toBeUndefined();
  });

  it('invalid dataset parts are dropped with a message, valid parts kept', () => {
    const r = decodeLink(
      craft({ v: 1, dataset: { demonstrations: [{ prompt: 'a', completion: 'b' }], rankings: [{ prompt: 'p', ranking: ['only'] }] } }),
      schema,
    );
    expect(r.ok && r.setup.dataset).toEqual({ demonstrations: [{ prompt: 'a', completion: 'b' }] });
    expect(r.ok && r.warnings).toEqual(['Ignored dataset.rankings because row 1, field "ranking": must have between 2 and 9 items, got 1.']);
  });

  it('a dataset round-trips with how it was used (mix or replace); a bad mode falls back with a warning', () => {
    const dataset = {
      demonstrations: [{ prompt: 'reverse: ab\n', completion: 'ba' }],
      rankings: [{ prompt: 'p', ranking: ['a', 'b', 'c', 'd'] }],
      mode: 'replace' as const,
    };
    const hash = encodeOk({ ...defaults, dataset });
    expect(decodeLink(hash, schema)).toEqual({ ok: true, setup: { ...defaults, dataset }, warnings: [] });
    expect(encodeLink({ ...defaults, dataset: { ...dataset, mode: 'all' as never } }, defaults)).toMatchObject({ ok: false, reason: 'invalid' });
    // a mode with no rows is no dataset
    expect(payloadOf(encodeOk({ ...defaults, dataset: { mode: 'mix' } }))).toEqual({ v: 1 });
    const r = decodeLink(craft({ v: 1, dataset: { demonstrations: dataset.demonstrations, mode: 'everything' } }), schema);
    expect(r.ok && r.setup.dataset).toEqual({ demonstrations: dataset.demonstrations });
    expect(r.ok && r.warnings).toEqual(['dataset.mode must be "mix" or "replace"; got "everything". Using "mix".']);
  });

  it('caps the number of warnings', () => {
    const config = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const r = decodeLink(craft({ v: 1, config }), schema);
    expect(r.ok && r.warnings.length).toBe(21);
    expect(r.ok && r.warnings[20]).toBe('…and 30 more problems.');
  });
});

describe('decodeLink: hostile values cost only themselves (issue #15, item 9)', () => {
  it('a seed nested 400 000 arrays deep falls back alone; the rest of the link is kept', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const hash = craft(`{"v":1,"task":"copy","seed":${deep(400_000)},"config":{"ppo.epochs":${deep(50_000)},"ppo.klCoef":0.5}}`);
    const r = decodeLink(hash, schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setup.task).toBe('copy');
    expect(r.setup.seed).toBe(defaults.seed);
    expect(r.setup.config['ppo.epochs']).toBe(4);
    expect(r.setup.config['ppo.klCoef']).toBe(0.5);
    expect(r.warnings[0]).toMatch(/^seed must be an integer from 0 to 4294967295; got a list nested too deeply to show\. Using the default \(1\)\.$/);
    expect(r.warnings[1]).toMatch(/"ppo\.epochs" must be an integer from 1 to 16; got a list nested too deeply to show/);
  });
  it('a version of 1e400 says it is too large, not "null"', () => {
    const r = decodeLink(craft('{"v":1e400}'), schema);
    expectFailure(r, /unknown setup version Infinity \(a number too large to read\)/);
    expect(!r.ok && r.message).not.toMatch(/null/);
    const seed = decodeLink(craft('{"v":1,"seed":-1e999}'), schema);
    expect(seed.ok && seed.warnings[0]).toMatch(/got -Infinity \(a number too large to read\)/);
  });
  it('dataset rows the model cannot tell apart are dropped with the reason', () => {
    const r = decodeLink(
      craft({ v: 1, dataset: { rankings: [{ prompt: 'p', ranking: ['café', 'cafè'] }], demonstrations: [{ prompt: 'p', completion: 'ok' }] } }),
      schema,
    );
    expect(r.ok && r.setup.dataset).toEqual({ demonstrations: [{ prompt: 'p', completion: 'ok' }] });
    expect(r.ok && r.warnings[0]).toMatch(/Ignored dataset\.rankings because row 1, field "ranking\[1\]": becomes identical to ranking\[0\] for the model/);
  });
});

describe('HTML is data, never markup', () => {
  const html = '<img src=x onerror="alert(1)">&amp;<script>x</script>';

  it('round-trips HTML in strings exactly', () => {
    const setup: RunSetup = {
      ...defaults,
      config: { ...defaults.config, 'ui.note': html },
      dataset: { demonstrations: [{ prompt: html, completion: html + '!' }] },
    };
    const r = decodeLink(encodeOk(setup), schema);
    expect(r).toEqual({ ok: true, setup, warnings: [] });
  });

  it('messages quote offending values verbatim as plain text and add no markup', () => {
    const r = decodeLink(craft({ v: 1, task: html, config: { [html]: 1 } }), schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setup.task).toBe('sentiment');
    // values are JSON-quoted (possibly shortened) but neither escaped nor wrapped in tags
    expect(r.warnings[0]).toBe(
      'task must be one of "sentiment", "arithmetic", "copy"; got "<img src=x onerror=\\"alert(1)\\">&amp;<script>x</script>". Using the default ("sentiment").',
    );
    expect(r.warnings[1]).toBe('Ignored unknown setting "<img src=x onerror=\\"alert(1)\\">&amp;<script>x</script>".');
    for (const w of r.warnings) {
      const withoutInput = w.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      expect(withoutInput).not.toMatch(/[<>&]/);
    }
    // failure messages contain no markup either
    for (const bad of ['#r2.x', '#r1.$$', '#r1.AAAA', craft('nope')]) {
      const f = decodeLink(bad, schema);
      expect(!f.ok && f.message).not.toMatch(/[<>&]/);
    }
  });
});
