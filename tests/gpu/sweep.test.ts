import { expect, test } from 'vitest';
import { initBackend, type EngineInfo } from '../../src/engine/backend';
import { StoppedError } from '../../src/rlhf/pipeline';
import { runVariants } from '../../src/rlhf/variants';
import type { SweepReport } from '../../src/rlhf/sweepReport';
import { deleteDB } from 'idb';
import { openDb } from '../../src/store/db';
import { getMeta, putMeta } from '../../src/store/meta';
import { runSweep, type SeedRunner } from '../../src/state/sweepDriver';
import { newSweepRecord, readSweepRecord, sweepReportOf, SWEEP_META_KEY } from '../../src/state/sweepRecord';
import type { SweepPlan } from '../../src/state/sweepPlan';
import { MICRO_PIPELINE, withoutTimes } from './helpers';

const MICRO = MICRO_PIPELINE;
const plan = (seeds: number[]): SweepPlan => ({ key: 'ppo.beta', values: ['0.02', '0.1'], seeds, base: MICRO, createdAt: 0 });

/** What the worker does for the app's sweep: runVariants over one seed's setups; stopped once `stopAfter` setups reported. */
function inBrowser(engine: EngineInfo, stopAfter = Infinity): SeedRunner {
  let reports = 0;
  return async (configs, on) => {
    const stop = () => reports >= stopAfter;
    try {
      await runVariants(
        configs,
        engine,
        (i) => ({ stage: (s, st) => on.stage(i, s, st), hooksFor: () => ({ metrics: () => {}, samples: () => {}, shouldStop: stop }), shouldStop: stop }),
        undefined,
        (i, r) => {
          on.report(i, r);
          reports++;
        },
      );
      return 'done';
    } catch (e) {
      if (e instanceof StoppedError) return 'stopped';
      throw e;
    }
  };
}

let uninterrupted: SweepReport;

test('a β sweep runs pretraining, SFT and the RM once per seed (count of stage runs), stored in IndexedDB as it goes', async () => {
  const engine = await initBackend('wasm');
  const name = `sweep-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const stages: string[] = [];
    const rec = await runSweep(newSweepRecord(plan([1, 2])), inBrowser(engine), {
      save: (r) => putMeta(db, SWEEP_META_KEY, r),
      changed: (_, live) =>
        void (live && stages.at(-1) !== `${live.seed}:${live.variant}:${live.stage}` && stages.push(`${live.seed}:${live.variant}:${live.stage}`)),
    });
    expect(rec.state).toBe('done');
    expect(stages).toEqual([
      '1:0:pretrain',
      '1:0:sft',
      '1:0:rm',
      '1:0:ppo',
      '1:0:eval',
      '1:1:ppo',
      '1:1:eval',
      ...['pretrain', 'sft', 'rm', 'ppo', 'eval', 'ppo', 'eval'].map((s, i) => `2:${i < 5 ? 0 : 1}:${s}`),
    ]);
    uninterrupted = sweepReportOf(rec);
    expect(uninterrupted).toMatchObject({ kind: 'sweep', complete: true, key: 'ppo.beta', values: ['0.02', '0.1'], seeds: [1, 2], backend: 'wasm' });
    expect(uninterrupted.stage_runs).toBe(10);
    expect(uninterrupted.from_scratch_stage_runs).toBe(16);
    expect(uninterrupted.stage_seconds!.filter((s) => s.stage === 'rm').map((s) => s.setups)).toEqual([2, 2]);
    expect(uninterrupted.points.map((p) => p.reports.map((r) => [r.seed, r.config.ppo.beta]))).toEqual([
      [
        [1, 0.02],
        [2, 0.02],
      ],
      [
        [1, 0.1],
        [2, 0.1],
      ],
    ]);
    expect(sweepReportOf(readSweepRecord(await getMeta(db, SWEEP_META_KEY))!)).toEqual(uninterrupted);
  } finally {
    db.close();
    await deleteDB(name);
  }
});

test('a sweep stopped after its first setup and resumed from IndexedDB ends with the uninterrupted sweep’s reports', async () => {
  const engine = await initBackend('wasm');
  const name = `sweep-resume-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const save = { save: (r: Parameters<typeof putMeta>[2]) => putMeta(db, SWEEP_META_KEY, r), changed: () => {} };
    const stopped = await runSweep(newSweepRecord(plan([1])), inBrowser(engine, 1), save);
    expect(stopped.state).toBe('stopped');
    expect(Object.keys(stopped.reports)).toEqual(['1:0']);

    // After a reload: the stored record, continued; the seed's second value runs from scratch (4 stage runs).
    const back = readSweepRecord(await getMeta(db, SWEEP_META_KEY));
    expect(back?.state).toBe('stopped');
    const done = await runSweep(back!, inBrowser(engine), save);
    expect(done.state).toBe('done');
    expect(done.stageRuns).toBe(4 + 4);
    const resumed = sweepReportOf(done);
    expect(resumed.complete).toBe(true);
    const seed1 = uninterrupted.points.map((p) => ({ value: p.value, reports: [p.reports[0]] }));
    expect(withoutTimes(resumed.points)).toEqual(withoutTimes(seed1));
  } finally {
    db.close();
    await deleteDB(name);
  }
});
