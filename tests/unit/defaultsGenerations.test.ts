import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeLink, encodeLink } from '../../src/share/link';
import { defaultSetup, type RunSetup } from '../../src/share/linkSchema';
import { configToSetup, linkSchema, setupToConfig } from '../../src/state/configKeys';
import { DEFAULT_PIPELINE, DEFAULTS_GENERATION } from '../../src/rlhf/config';
import { craftLink as craft } from './craftLink';

// Share links hold only values that differ from the defaults; when a default changes, old links
// must still decode to their sender's setup. Each generation of defaults is kept in full here.
const fixture = (g: number): RunSetup => JSON.parse(readFileSync(`tests/unit/fixtures/defaults-generation-${g}.json`, 'utf8'));
const schema = linkSchema();
const withoutGeneration = ({ generation: _, ...s }: RunSetup): RunSetup => s;

describe('defaults generations', () => {
  it('the current defaults are the newest fixture: a changed default needs a new generation', () => {
    // If this fails you changed a default: bump DEFAULTS_GENERATION in src/rlhf/config.ts, record
    // the old values in DEFAULTS_HISTORY, and add tests/unit/fixtures/defaults-generation-<N>.json.
    expect(configToSetup(DEFAULT_PIPELINE)).toEqual(fixture(DEFAULTS_GENERATION));
  });

  it('every earlier generation is rebuilt exactly from the history', () => {
    for (let g = 1; g <= DEFAULTS_GENERATION; g++) expect(withoutGeneration(defaultSetup(schema, g))).toEqual(fixture(g));
  });

  it('a link made before generation 2 (no "d") decodes to its sender’s setup', () => {
    // written by the old app: seed 7 changed, everything else at generation 1's defaults
    const r = decodeLink(craft({ v: 1, seed: 7, config: { 'ppo.beta': 0.05 } }), schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([]);
    expect(withoutGeneration(r.setup)).toEqual({ ...fixture(1), seed: 7, config: { ...fixture(1).config, 'ppo.beta': 0.05 } });
  });

  it('a new link names its generation and round-trips; an old setup re-encoded keeps its values', () => {
    const defaults = defaultSetup(schema);
    const old = { ...fixture(1), seed: 3 };
    const enc = encodeLink(old, defaults);
    expect(enc.ok).toBe(true);
    if (!enc.ok) return;
    const r = decodeLink(enc.hash, schema);
    expect(r.ok && withoutGeneration(r.setup)).toEqual(old);
    expect(setupToConfig(r.ok ? r.setup : defaults).seed).toBe(3);
  });

  it('a link from a newer generation is refused with a clear message; a garbled one is read as generation 1', () => {
    const newer = decodeLink(craft({ v: 1, d: DEFAULTS_GENERATION + 1 }), schema);
    expect(newer.ok).toBe(false);
    expect(!newer.ok && newer.message).toMatch(/newer version of the app/);
    const garbled = decodeLink(craft({ v: 1, d: 'x' }), schema);
    expect(garbled.ok).toBe(true);
    if (!garbled.ok) return;
    expect(garbled.warnings[0]).toMatch(/defaults generation "x"/);
    expect(withoutGeneration(garbled.setup)).toEqual(fixture(1));
  });
});
