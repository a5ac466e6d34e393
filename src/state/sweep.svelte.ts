import type { PipelineConfig } from '../rlhf/config';
import type { SweepReport } from '../rlhf/sweepReport';
import { deleteMeta, getMeta, putMeta } from '../store/meta';
import { errorMessage } from '../util/errorMessage';
import { onWorkerEvent, run, startVariants, stopTraining } from './run.svelte';
import { startBlocker } from './runRecorder.svelte';
import { database, reportWriteError, storage } from './storage.svelte';
import { runSweep, type SeedRunner } from './sweepDriver';
import { sweepEta, type SweepLive } from './sweepEta';
import { planProblems, type SweepPlan } from './sweepPlan';
import { newSweepRecord, readSweepRecord, sweepReportOf, SWEEP_META_KEY, type SweepRecord } from './sweepRecord';

/**
 * The sweep of one setting in the app: its report (`sweepState.report`, the runner's sweep JSON
 * shape, which the plots read), its progress and ETA, and the sweep kept in IndexedDB so a reload
 * can continue it ("Resume sweep"). The driver (sweepDriver.ts) runs it through the worker's
 * `variants` command, one seed at a time.
 */
class SweepState {
  /** the sweep's report in the runner's shape (null before any sweep) */
  report = $state.raw<SweepReport | null>(null);
  /** the current or last sweep, as stored */
  record = $state.raw<SweepRecord | null>(null);
  /** the stage running now */
  live = $state.raw<SweepLive | null>(null);
  running = $state(false);
  /** the stored sweep was read (once per page) */
  loaded = $state(false);
  /** when this session's part of the sweep started (ms), and the wall seconds before it */
  segment = $state.raw<{ start: number; before: number } | null>(null);
}

export const sweepState = new SweepState();

function show(rec: SweepRecord, live: SweepLive | null): void {
  sweepState.record = { ...rec };
  sweepState.report = sweepReportOf(rec);
  sweepState.live = live;
}

/** Wall seconds so far and the estimated seconds left (null until it can be estimated), as of `now`. */
export function sweepClock(now: number): { elapsed: number; eta: number | null } {
  const rec = sweepState.record;
  if (!rec) return { elapsed: 0, eta: null };
  const seg = sweepState.segment;
  const elapsed = sweepState.running && seg ? seg.before + (now - seg.start) / 1000 : rec.seconds;
  return { elapsed, eta: sweepState.running ? sweepEta(rec, sweepState.live, now) : null };
}

let loading: Promise<void> | null = null;

/** Reads the stored sweep once (a finished one shows its report; an unfinished one can be resumed). */
export function loadSweep(): Promise<void> {
  loading ??= (async () => {
    const db = await database();
    try {
      const rec = db ? readSweepRecord(await getMeta(db, SWEEP_META_KEY)) : null;
      if (rec && !sweepState.running) show(rec, null);
    } catch (e) {
      storage.error = `The stored sweep could not be read (${errorMessage(e)}).`;
    }
    sweepState.loaded = true;
  })();
  return loading;
}

/** One seed's setups in the worker (the `variants` command), its stage and report events passed on. */
const runSeedInWorker: SeedRunner = (configs, on) =>
  new Promise((resolve, reject) => {
    const stop = onWorkerEvent((e) => {
      if (e.type === 'stage' && e.variant !== undefined) on.stage(e.variant, e.stage, e.state);
      else if (e.type === 'report' && e.variant !== undefined) on.report(e.variant, e.report);
      else if (e.type === 'status' && e.state !== 'training') {
        stop();
        if (e.state === 'failed') reject(new Error(e.message || 'the run failed'));
        else resolve(e.state === 'stopped' ? 'stopped' : 'done');
      } else if (e.type === 'error' && e.fatal) {
        stop();
        reject(new Error(e.message));
      }
    });
    startVariants(configs);
  });

async function go(rec: SweepRecord): Promise<string> {
  const blocker = sweepState.running ? 'A sweep is running.' : startBlocker();
  if (blocker) return blocker;
  const problems = planProblems(rec.plan);
  if (problems.length) return `This sweep cannot run: ${problems.join('; ')}.`;
  const db = await database();
  sweepState.running = true;
  sweepState.segment = { start: Date.now(), before: rec.seconds };
  show(rec, null);
  try {
    const done = await runSweep(rec, runSeedInWorker, {
      save: async (r) => {
        try {
          if (db) await putMeta(db, SWEEP_META_KEY, r);
        } catch (e) {
          reportWriteError('the sweep', e);
        }
      },
      changed: show,
    });
    return done.state === 'failed' ? `The sweep failed: ${done.message ?? ''}` : '';
  } catch (e) {
    return `The sweep failed: ${errorMessage(e)}`;
  } finally {
    sweepState.running = false;
    sweepState.segment = null;
  }
}

/** Starts a sweep of `key` over `values` × `seeds` on the current settings. Returns a problem in words ('' when it ran). */
export function startSweep(base: PipelineConfig, key: string, values: string[], seeds: number[]): Promise<string> {
  const plan: SweepPlan = { key, values, seeds, base: structuredClone($state.snapshot(base)) as PipelineConfig, createdAt: Date.now() };
  return go(newSweepRecord(plan));
}

/** Continues the stored sweep: finished setups are kept; the seed it was in runs its remaining setups from scratch. */
export function resumeSweep(): Promise<string> {
  const rec = sweepState.record;
  if (!rec || rec.state === 'done') return Promise.resolve('There is no unfinished sweep.');
  return go(structuredClone(rec));
}

export function stopSweep(): void {
  if (sweepState.running && run.state === 'training') stopTraining();
}

/** Forgets the stored sweep (its report goes with it). */
export async function discardSweep(): Promise<void> {
  if (sweepState.running) return;
  const db = await database();
  try {
    if (db) await deleteMeta(db, SWEEP_META_KEY);
  } catch (e) {
    reportWriteError('the stored sweep', e);
  }
  sweepState.record = null;
  sweepState.report = null;
  sweepState.live = null;
}
