import type { PipelineConfig } from '../rlhf/config';
import type { PipelineReport } from '../rlhf/pipelineTypes';
import type { StageName } from '../rlhf/stages';
import { errorMessage } from '../util/errorMessage';
import { pointKey, setupsFor } from './sweepPlan';
import type { SweepLive } from './sweepEta';
import type { SweepRecord } from './sweepRecord';

/**
 * Runs a sweep, or continues one read back after a reload: seed by seed, the setups of the seed
 * that have no report yet, sharing their common stages (one `variants` run per seed). Every
 * finished setup is saved at once, so a reload loses at most the setup in progress. Those shared
 * stages are kept in memory only: a seed continued after a reload runs its remaining setups from
 * scratch (their shared stages once more). Knows nothing of the worker or the page: `runSeed` runs
 * the setups (the worker in the app, runVariants in the tests), `sink` saves and shows.
 */

interface SeedEvents {
  stage(variant: number, stage: StageName | 'eval', state: 'running' | 'done'): void;
  report(variant: number, report: PipelineReport): void;
}

/** Runs one seed's setups sharing their common stages; 'stopped' when the user stopped it. */
export type SeedRunner = (configs: PipelineConfig[], on: SeedEvents) => Promise<'done' | 'stopped'>;

export interface SweepSink {
  /** writes the record (a plain object, not a proxy); reports its own failures (the sweep goes on) */
  save(rec: SweepRecord): Promise<void>;
  /** the record or the running stage changed */
  changed(rec: SweepRecord, live: SweepLive | null): void;
}

/** Runs what the record has left to run; resolves with it 'done', 'stopped' or 'failed' (and saved). */
export async function runSweep(rec: SweepRecord, runSeed: SeedRunner, sink: SweepSink, clock: () => number = Date.now): Promise<SweepRecord> {
  const started = clock();
  const before = rec.seconds;
  const tick = () => void (rec.seconds = before + (clock() - started) / 1000);
  let saving = Promise.resolve();
  const save = (): Promise<void> => (saving = saving.then(() => sink.save(rec)).catch(() => {}));
  rec.state = 'running';
  delete rec.message;
  await save();
  try {
    for (const seed of rec.plan.seeds) {
      const todo = rec.plan.values.map((_, j) => j).filter((j) => !rec.reports[pointKey(seed, j)]);
      if (!todo.length) continue;
      let live: SweepLive | null = null;
      // per stage, the run whose result this seed's later setups restore (they only say 'done')
      const shared: Partial<Record<StageName, number>> = {};
      const outcome = await runSeed(setupsFor(rec.plan, seed, todo), {
        stage(variant, stage, state) {
          if (state === 'running') {
            if (live?.stage !== stage || live.variant !== variant) live = { seed, value: rec.plan.values[todo[variant]], variant, stage, since: clock() };
          } else if (live?.stage === stage && live.variant === variant) {
            rec.stageTimes.push({ seed, value: live.value, stage, seconds: (clock() - live.since) / 1000, setups: 1 });
            if (stage !== 'eval') {
              rec.stageRuns++;
              shared[stage] = rec.stageTimes.length - 1;
            }
            live = null;
          } else if (stage !== 'eval' && shared[stage] !== undefined) rec.stageTimes[shared[stage]].setups++;
          tick();
          sink.changed(rec, live);
        },
        report(variant, report) {
          rec.reports[pointKey(seed, todo[variant])] = report;
          tick();
          sink.changed(rec, live);
          void save();
        },
      });
      if (outcome === 'stopped') {
        rec.state = 'stopped';
        break;
      }
    }
    if (rec.state === 'running') rec.state = 'done';
  } catch (e) {
    rec.state = 'failed';
    rec.message = errorMessage(e);
  }
  tick();
  sink.changed(rec, null);
  await save();
  return rec;
}
