import { describe, expect, it } from 'vitest';
import { decodeLink } from '../../src/share/link';
import { defaultSetup, type LinkDataset } from '../../src/share/linkSchema';
import { shareLinkFor } from '../../src/share/shareDecision';
import { configToSetup, linkSchema } from '../../src/state/configKeys';
import { DEFAULT_PIPELINE } from '../../src/rlhf/config';

/** The app's real schema and defaults, as the share button uses them. */
const schema = linkSchema();
const defaults = defaultSetup(schema);
const BASE = 'https://example.org/rlhf/?backend=wasm'.length;
/** The longest URL a link may make (README: "within 8 000 characters"); each result names it as `limit`. */
const MAX_URL_CHARS = 8000;
const setup = configToSetup({ ...structuredClone(DEFAULT_PIPELINE), seed: 7 });

/** Rows whose text does not compress (so the size is predictable): n demonstrations. */
function demos(n: number, seed = 1): LinkDataset {
  let s = seed;
  const word = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s.toString(36) + (s * 7).toString(36);
  };
  return { demonstrations: Array.from({ length: n }, () => ({ prompt: `reverse: ${word()}\n`, completion: word() })), mode: 'mix' };
}

describe('what a share link carries', () => {
  it('a small dataset goes in, and decodes back with the setup', () => {
    const dataset: LinkDataset = { ...demos(3), rankings: [{ prompt: 'upper: ab\n', ranking: ['AB', 'Ab', 'ab', 'b'] }] };
    const r = shareLinkFor(setup, defaults, dataset, BASE);
    expect(r).toMatchObject({ ok: true, dataset: 'included', limit: MAX_URL_CHARS });
    if (!r.ok) return;
    expect(BASE + r.hash.length).toBeLessThanOrEqual(MAX_URL_CHARS);
    const back = decodeLink(r.hash, schema);
    expect(back.ok && back.setup.seed).toBe(7);
    expect(back.ok && back.setup.dataset).toEqual(dataset);
  });

  it('a dataset that would pass the URL limit is left out: settings only, with the length it needed', () => {
    const r = shareLinkFor(setup, defaults, demos(600), BASE);
    expect(r).toMatchObject({ ok: true, dataset: 'too-large' });
    if (!r.ok) return;
    expect(r.neededChars).toBeGreaterThan(MAX_URL_CHARS);
    const back = decodeLink(r.hash, schema);
    expect(back.ok && back.setup.seed).toBe(7);
    expect(back.ok && back.setup.dataset).toBeUndefined();
  });

  it('the limit counts the whole URL: the same dataset fits after a short address and not after a long one', () => {
    const dataset = demos(40);
    const fits = shareLinkFor(setup, defaults, dataset, BASE);
    expect(fits).toMatchObject({ ok: true, dataset: 'included' });
    const hashLength = fits.ok ? fits.hash.length : 0;
    expect(shareLinkFor(setup, defaults, dataset, MAX_URL_CHARS - hashLength)).toMatchObject({ ok: true, dataset: 'included' });
    expect(shareLinkFor(setup, defaults, dataset, MAX_URL_CHARS - hashLength + 1)).toMatchObject({ ok: true, dataset: 'too-large' });
  });

  it('defaults and no dataset: no hash at all; an empty dataset is no dataset', () => {
    expect(shareLinkFor(configToSetup(DEFAULT_PIPELINE), defaults, null, BASE)).toEqual({ ok: true, hash: '', dataset: 'none', limit: MAX_URL_CHARS });
    // one setting off its default: a hash with the setup
    expect(shareLinkFor(setup, defaults, null, BASE)).toMatchObject({ ok: true, hash: expect.stringMatching(/^#r1\./), dataset: 'none' });
    expect(shareLinkFor(configToSetup(DEFAULT_PIPELINE), defaults, { demonstrations: [], mode: 'mix' }, BASE)).toMatchObject({
      ok: true,
      hash: '',
      dataset: 'none',
    });
    // defaults plus a dataset: the link is only the dataset
    const r = shareLinkFor(configToSetup(DEFAULT_PIPELINE), defaults, demos(2), BASE);
    expect(r.ok && r.hash).toMatch(/^#r1\./);
  });

  it('a malformed row is reported in words, not put into a link', () => {
    const r = shareLinkFor(setup, defaults, { rankings: [{ prompt: 'p', ranking: ['a', 'a'] }] }, BASE);
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.message).toMatch(/^Your dataset could not be put into a link: dataset\.rankings row 1/);
  });
});
