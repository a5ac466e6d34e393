import { describe, expect, it } from 'vitest';
import { decodeLink, encodeLink } from '../../src/share/link';
import { defaultSetup, readForkedFrom, type LinkSchema, type RunSetup } from '../../src/share/linkSchema';
import { shareLinkFor } from '../../src/share/shareDecision';
import { linkSchema, configToSetup, setupToConfig } from '../../src/state/configKeys';
import { DEFAULT_PIPELINE } from '../../src/rlhf/config';
import { craftLink as craft } from './craftLink';

/** A fork's share link: `forkedFrom` rides along (informational), the setup stays whole, a garbled one costs nothing. */
const schema: LinkSchema = linkSchema();
const defaults = defaultSetup(schema);
const fork = { runId: 'abc-123', runName: 'instructions · tiny · seed 1 <b>x</b>', stage: 'ppo' as const };

describe('forkedFrom in a share link', () => {
  it('round-trips with the full settings', () => {
    const cfg = structuredClone(DEFAULT_PIPELINE);
    cfg.ppo.beta = 0.1;
    const setup: RunSetup = { ...configToSetup(cfg), forkedFrom: fork };
    const r = encodeLink(setup, defaults);
    expect(r.ok).toBe(true);
    const back = decodeLink(r.ok ? r.hash : '', schema);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.warnings).toEqual([]);
    expect(back.setup.forkedFrom).toEqual(fork); // the name is data: kept as written, shown as text
    expect(setupToConfig(back.setup)).toEqual(cfg);
  });

  it('is carried even when every setting is a default (a re-run of the evaluation only)', () => {
    const r = shareLinkFor({ ...configToSetup(DEFAULT_PIPELINE), forkedFrom: { ...fork, stage: 'eval' } }, defaults, null, 30);
    expect(r.ok && r.hash !== '').toBe(true);
    const back = decodeLink(r.ok ? r.hash : '', schema);
    expect(back.ok && back.setup.forkedFrom?.stage).toBe('eval');
  });

  it.each([
    ['not an object', 'ppo'],
    ['a list', [fork]],
    ['no run id', { runName: 'x', stage: 'rm' }],
    ['an unknown stage', { ...fork, stage: 'pretrain' }],
    ['a name too long', { ...fork, runName: 'n'.repeat(101) }],
    ['a number for a name', { ...fork, runName: 7 }],
  ])('garbled (%s): ignored with a note, the rest of the link used', (_, garbled) => {
    const r = decodeLink(craft({ v: 1, d: schema.generation, seed: 42, config: { 'ppo.beta': 0.1 }, forkedFrom: garbled }), schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setup.forkedFrom).toBeUndefined();
    expect(r.setup.seed).toBe(42);
    expect(r.setup.config['ppo.beta']).toBe(0.1);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^Ignored what the link says the run was forked from/);
  });

  it('readForkedFrom keeps only the three fields', () => {
    expect(readForkedFrom({ ...fork, extra: 1 })).toEqual({ forkedFrom: fork });
  });
});
