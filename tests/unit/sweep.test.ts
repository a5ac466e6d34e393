import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';
import type { PipelineReport } from '../../src/rlhf/pipelineTypes';
import { STAGES_AND_EVAL, stageIndex } from '../../src/rlhf/stages';
import { fromScratchSeconds } from '../../src/rlhf/sweepReport';
import { runSweep, type SeedRunner } from '../../src/state/sweepDriver';
import { sweepEta } from '../../src/state/sweepEta';
import { parseSeeds, parseSweepValues, plannedStageRuns, setupsFor, sweepForkStage, type SweepPlan } from '../../src/state/sweepPlan';
import { newSweepRecord, pointsDone, readSweepRecord, sweepReportOf, type SweepRecord } from '../../src/state/sweepRecord';

/** The sweep without a worker: its plan, the driver's bookkeeping (stage runs, times, stop and resume), its report and ETA. */
const plan = (key = 'ppo.beta', values = ['0.01', '0.1'], seeds = [1, 2]): SweepPlan => ({
  key,
  values,
  seeds,
  base: structuredClone(DEFAULT_PIPELINE),
  createdAt: 0,
});
const SECONDS: Record<string, number> = { pretrain: 10, sft: 5, rm: 4, ppo: 6, eval: 2 };

/**
 * What the worker's `variants` run says, on a fake clock: setup 0 runs every stage, the others
 * restore the stages before the fork (only 'done') and run the rest; `stopAfter` reports stop the seed.
 */
function fakeRunner(clock: { t: number }, stopAfter = Infinity): { runner: SeedRunner; seeds: number[][] } {
  const seeds: number[][] = [];
  let reports = 0;
  const runner: SeedRunner = async (configs, on) => {
    seeds.push(configs.map((c) => c.seed));
    const fork = Math.min(...configs.slice(1).map((c) => (c.ppo.beta !== configs[0].ppo.beta ? stageIndex('ppo') : 0)), 99);
    for (let i = 0; i < configs.length; i++) {
      for (const [s, stage] of STAGES_AND_EVAL.entries()) {
        if (i > 0 && s < fork) {
          on.stage(i, stage, 'done');
          continue;
        }
        on.stage(i, stage, 'running');
        clock.t += SECONDS[stage] * 1000;
        on.stage(i, stage, 'done');
      }
      on.report(i, { seed: configs[i].seed, backend: 'wasm', config: configs[i] } as unknown as PipelineReport);
      if (++reports >= stopAfter) return 'stopped';
    }
    return 'done';
  };
  return { runner, seeds };
}

const sink = (saved: SweepRecord[]) => ({ save: async (r: SweepRecord) => void saved.push(structuredClone(r)), changed: () => {} });

describe('sweep plan', () => {
  it('reads values and seeds, refusing what the setting does not allow', () => {
    expect(parseSweepValues('ppo.beta', '0, 0.01 ,0.1')).toEqual({ values: ['0', '0.01', '0.1'], problem: '' });
    expect(parseSweepValues('ppo.beta', '0.1, 5').problem).toMatch(/ppo.beta = 5: must be between 0 and 2/);
    expect(parseSweepValues('ppo.beta', '0.1, 0.10').problem).toMatch(/given twice/);
    expect(parseSweepValues('ppo.klEstimator', 'k1, k3').problem).toBe('');
    expect(parseSweepValues('ppo.adaptiveKl', 'false, true').problem).toBe('');
    expect(parseSeeds('1, 2,3')).toEqual({ seeds: [1, 2, 3], problem: '' });
    expect(parseSeeds('1, 1.5').problem).toMatch(/seed 1.5/);
  });

  it('makes one setup per value with the seed, sharing the stages before the setting’s', () => {
    const p = plan();
    const setups = setupsFor(p, 7);
    expect(setups.map((c: PipelineConfig) => [c.seed, c.ppo.beta])).toEqual([
      [7, 0.01],
      [7, 0.1],
    ]);
    expect(setupsFor(plan('ppo.adaptiveKl', ['true']), 1)[0].ppo.adaptiveKl).toBe(true);
    expect(sweepForkStage(p)).toBe('ppo');
    expect(plannedStageRuns(p)).toBe(2 * (3 + 2)); // per seed: pretraining, SFT, RM once, PPO twice
    expect(plannedStageRuns(plan('rm.lr'))).toBe(2 * (2 + 2 * 2));
    expect(plannedStageRuns(plan('ppo.beta', ['0.02']))).toBe(8);
  });
});

describe('sweep driver', () => {
  it('runs each seed once, counts the stage runs and times each, and reports in the runner’s shape', async () => {
    const clock = { t: 0 };
    const { runner, seeds } = fakeRunner(clock);
    const saved: SweepRecord[] = [];
    const rec = await runSweep(newSweepRecord(plan()), runner, sink(saved), () => clock.t);
    expect(seeds).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(rec.state).toBe('done');
    expect(rec.stageRuns).toBe(10);
    const report = sweepReportOf(rec);
    expect(report).toMatchObject({ kind: 'sweep', complete: true, key: 'ppo.beta', values: ['0.01', '0.1'], seeds: [1, 2], stage_runs: 10 });
    expect(report.from_scratch_stage_runs).toBe(16);
    expect(report.points.map((p) => p.reports.map((r) => [r.seed, r.config.ppo.beta]))).toEqual([
      [
        [1, 0.01],
        [2, 0.01],
      ],
      [
        [1, 0.1],
        [2, 0.1],
      ],
    ]);
    // the shared stages serve both setups of a seed: from scratch each would run them again
    expect(report.stage_seconds!.filter((s) => s.stage === 'sft').map((s) => s.setups)).toEqual([2, 2]);
    expect(report.wall_seconds).toBe(2 * (10 + 5 + 4 + 2 * (6 + 2)));
    expect(fromScratchSeconds(report)).toBe(4 * (10 + 5 + 4 + 6 + 2));
    expect(readSweepRecord(saved[saved.length - 1])).toEqual(rec);
  });

  it('stopped after the first setup and resumed, it ends with the reports of an uninterrupted sweep', async () => {
    const clock = { t: 0 };
    const saved: SweepRecord[] = [];
    const first = fakeRunner(clock, 1);
    const stopped = await runSweep(newSweepRecord(plan()), first.runner, sink(saved), () => clock.t);
    expect(stopped.state).toBe('stopped');
    expect(pointsDone(stopped)).toEqual({ done: 1, total: 4 });
    expect(sweepReportOf(stopped)).toMatchObject({ complete: false, seeds: [], stage_runs: 4 });

    // a reload: the record comes back from storage, and the seed it was in runs its other value from scratch
    const back = readSweepRecord(structuredClone(saved[saved.length - 1]))!;
    expect(back.state).toBe('stopped');
    const second = fakeRunner(clock);
    const done = await runSweep(back, second.runner, sink(saved), () => clock.t);
    expect(second.seeds).toEqual([[1], [2, 2]]);
    expect(done.state).toBe('done');
    expect(done.stageRuns).toBe(4 + 4 + 5);
    const uninterrupted = await runSweep(newSweepRecord(plan()), fakeRunner({ t: 0 }).runner, sink([]), () => 0);
    expect(sweepReportOf(done).points).toEqual(sweepReportOf(uninterrupted).points);
  });

  it('a failed seed leaves the sweep failed with the reason, its finished setups kept', async () => {
    const runner: SeedRunner = async (configs, on) => {
      on.report(0, { seed: configs[0].seed } as unknown as PipelineReport);
      throw new Error('device lost');
    };
    const rec = await runSweep(newSweepRecord(plan()), runner, sink([]));
    expect(rec).toMatchObject({ state: 'failed', message: 'device lost' });
    expect(pointsDone(rec).done).toBe(1);
  });

  it('a stored value that is not a sweep is not read back', () => {
    expect(readSweepRecord(null)).toBe(null);
    expect(readSweepRecord({ plan: { key: 'nope' }, reports: {}, stageTimes: [] })).toBe(null);
    expect(readSweepRecord({ ...newSweepRecord(plan()), state: 'odd' })).toBe(null);
  });
});

describe('sweep ETA', () => {
  it('is unknown until the stages still needed have run once, then sums their mean times', () => {
    const rec = newSweepRecord(plan());
    expect(sweepEta(rec, null, 0)).toBe(null);
    rec.stageTimes = STAGES_AND_EVAL.map((stage) => ({ seed: 1, value: '0.01', stage, seconds: SECONDS[stage], setups: 1 }));
    rec.reports['1:0'] = {} as PipelineReport;
    // seed 1: its second value now in PPO for 1 s (5 s left) + eval 2; seed 2: everything once + PPO and eval again
    const live = { seed: 1, value: '0.1', variant: 1, stage: 'ppo' as const, since: 0 };
    expect(sweepEta(rec, live, 1000)).toBe(5 + 2 + (10 + 5 + 4 + 6 + 2) + (6 + 2));
  });
});
