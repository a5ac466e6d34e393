import { describe, expect, test } from 'vitest';
import { candidateSets, createLabelerPool, interval95, measureAgreement, poolAgreement } from '../../src/tasks/labeler';
import { getTask } from '../../src/tasks';
import { Rng } from '../../src/util/rng';

describe('labeler agreement, measured', () => {
  test.each(['instructions', 'sentiment'])('%s: three numbers on sets the noise was not calibrated on, near the target', (name) => {
    const task = getTask(name);
    const calibration = candidateSets(task, new Rng(1), 200);
    const pool = createLabelerPool(task, { agreement: 0.73, seed: 3, sets: calibration });
    const fresh = candidateSets(task, new Rng(2), 400);
    const a = poolAgreement(task, pool, fresh, new Rng(4));
    // Not calibrated on `fresh`: the numbers are measured, so they scatter around the target
    // instead of sitting on it, and differ between the groups.
    for (const x of [a.train_train, a.heldout_heldout, a.train_heldout]) {
      expect(x).toBeGreaterThan(0.63);
      expect(x).toBeLessThan(0.83);
    }
    expect(new Set([a.train_train, a.heldout_heldout, a.train_heldout]).size).toBe(3);
  });

  test('between two groups only cross pairs count', () => {
    const task = getTask('instructions');
    const pool = createLabelerPool(task, { agreement: 0.73, seed: 3 });
    const sets = candidateSets(task, new Rng(2), 50);
    // a labeler against itself with fresh noise is one cross pair: finite, not 1
    const self = measureAgreement(task, [pool.train[0]], sets, new Rng(1), [pool.train[0]]);
    expect(self).toBeGreaterThan(0.5);
    expect(self).toBeLessThan(1);
    expect(() => measureAgreement(task, [pool.train[0]], sets, new Rng(1))).toThrow(/two labelers/);
  });
});

describe('interval95', () => {
  test('mean ± 1.96·s/√n, clipped to [0, 1]', () => {
    const xs = [...Array(60).fill(1), ...Array(40).fill(0)];
    const [lo, hi] = interval95(xs);
    const s = Math.sqrt((60 * 0.4 ** 2 + 40 * 0.6 ** 2) / 99);
    expect(lo).toBeCloseTo(0.6 - (1.96 * s) / 10, 10);
    expect(hi).toBeCloseTo(0.6 + (1.96 * s) / 10, 10);
    expect(interval95([1, 1, 1, 1])).toEqual([1, 1]);
    expect(interval95([1])).toEqual([NaN, NaN]);
  });
});
