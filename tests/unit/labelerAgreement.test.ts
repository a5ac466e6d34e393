import { describe, expect, test } from 'vitest';
import { LabelerPool, SimulatedLabeler, createLabelerPool, interval95, poolAgreement } from '../../src/tasks/labeler';
import { candidateSets } from '../../src/tasks/labelerNoise';
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

  test('between two groups only cross pairs count; a group needs two labelers for its own number', () => {
    const task = getTask('instructions');
    const sets = candidateSets(task, new Rng(2), 50);
    const profile = (id: string) => ({ id, noise: 1, lengthBias: 0, partBias: {} });
    // two noise-free labelers of one taste always agree; a labeler of pure noise agrees with anyone half the time
    const exact = [new SimulatedLabeler(profile('a'), 0), new SimulatedLabeler(profile('b'), 0)];
    const noise = new SimulatedLabeler(profile('c'), 1e6);
    const a = poolAgreement(task, new LabelerPool(exact, [noise], 0.73, 1, 0.73), sets, new Rng(1));
    expect(a.train_train).toBe(1);
    expect(Math.abs(a.train_heldout - 0.5)).toBeLessThan(0.05); // counting the pair (a, b) would pull it towards 2/3
    expect(a.heldout_heldout).toBeNaN();
    expect(() => poolAgreement(task, new LabelerPool([exact[0]], [noise], 0.73, 1, 0.73), sets, new Rng(1))).toThrow(/two labelers/);
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
