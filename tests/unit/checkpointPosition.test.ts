import { expect, test } from 'vitest';
import { positionOf, resumable, type CheckpointPosition } from '../../src/store/checkpointPosition';

const at = (stage: CheckpointPosition['stage'], step: number, final = false): CheckpointPosition => ({ stage, step, final });

test('checkpoints are ordered by stage, then step, with a stage’s final one last', () => {
  const order = [at('pretrain', 100), at('pretrain', 200), at('pretrain', 200, true), at('sft', 10), at('sft', 40, true), at('rm', 5, true), at('ppo', 3)];
  // The run's first possible position is never after anything, so `resumable` keeps `a` exactly when a ≤ b.
  const first = at('pretrain', 0);
  const keeps = (a: CheckpointPosition, b: CheckpointPosition): boolean => resumable([a, first], b).includes(a);
  order.forEach((a, i) => order.forEach((b, j) => expect(keeps(a, b), `${JSON.stringify(a)} ≤ ${JSON.stringify(b)}`).toBe(i <= j)));
});

test('a resume keeps to checkpoints whose curves were written, unless none is that old', () => {
  const newestFirst = [at('sft', 8, true), at('sft', 4), at('pretrain', 16, true)];
  expect(resumable(newestFirst, undefined)).toEqual(newestFirst);
  expect(resumable(newestFirst, at('pretrain', 16, true))).toEqual([at('pretrain', 16, true)]);
  expect(resumable(newestFirst, at('sft', 4))).toEqual([at('sft', 4), at('pretrain', 16, true)]);
  expect(resumable(newestFirst, at('pretrain', 2))).toEqual(newestFirst);
});

test('a stored position is read only when it is whole', () => {
  expect(positionOf({ stage: 'rm', step: 3, final: true, extra: 1 })).toEqual(at('rm', 3, true));
  for (const bad of [
    null,
    'sft',
    {},
    { stage: 'eval', step: 1, final: true },
    { stage: 'sft', step: -0.5, final: false },
    { stage: 'sft', step: 1, final: 'yes' },
  ]) {
    expect(positionOf(bad)).toBeUndefined();
  }
});
