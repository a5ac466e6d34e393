import { describe, expect, it } from 'vitest';
import { normalizeRun } from '../../src/store/runRow';
import { forkedText } from '../../src/state/runSummary';

/** Run records: a fork's `forkedFrom` is optional, and a record without it (every run saved before forks) still loads. */
const old = {
  id: 'r1',
  name: 'an old run',
  createdAt: 5,
  task: 'instructions',
  preset: 'tiny',
  seed: 1,
  config: { seed: 1 },
  stageStatus: { pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' },
  metrics: { pretrain: { loss: [3, 2] } },
  report: { eval: {} },
};

describe('forkedFrom in a run record', () => {
  it('a record without it loads as before', () => {
    const r = normalizeRun(old);
    expect(r.forkedFrom).toBeUndefined();
    expect('forkedFrom' in r).toBe(false);
    expect(r.metrics.pretrain.loss).toEqual([3, 2]);
    expect(r.metrics.ppo).toEqual({});
    expect(r.report).toEqual({ eval: {} });
    expect(forkedText(r.forkedFrom)).toBe('');
  });

  it('a fork keeps where it came from', () => {
    const forkedFrom = { runId: 'r0', runName: 'the source', stage: 'rm' };
    const r = normalizeRun({ ...old, forkedFrom });
    expect(r.forkedFrom).toEqual(forkedFrom);
    expect(forkedText(r.forkedFrom)).toBe('Forked from “the source” at the reward model: the stages before it are that run’s.');
  });

  it('a judge run keeps where its policy came from', () => {
    const forkedFrom = { runId: 'r0', runName: 'the source', stage: 'eval', policy: 'policy-trl/model.safetensors' };
    const r = normalizeRun({ ...old, forkedFrom });
    expect(r.forkedFrom).toEqual(forkedFrom);
    expect(forkedText(r.forkedFrom)).toMatch(/^Judges the policy imported from policy-trl\/model.safetensors against “the source”/);
    expect(normalizeRun({ ...old, forkedFrom: { ...forkedFrom, policy: 7 } }).forkedFrom).toEqual({ runId: 'r0', runName: 'the source', stage: 'eval' });
  });

  it.each([['garbage'], [{ runId: 'r0', stage: 'ppo' }], [{ runId: 'r0', runName: 'x', stage: 'pretrain' }], [null]])(
    'a malformed forkedFrom (%j) is dropped, never the record',
    (forkedFrom) => {
      const r = normalizeRun({ ...old, forkedFrom });
      expect(r.forkedFrom).toBeUndefined();
      expect(r.name).toBe('an old run');
      expect(forkedText(forkedFrom)).toBe('');
    },
  );
});
