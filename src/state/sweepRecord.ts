import { PIPELINE_SETTINGS } from '../rlhf/config';
import type { PipelineReport } from '../rlhf/pipelineTypes';
import type { SweepReport, SweepStageTime } from '../rlhf/sweepReport';
import { pointKey, type SweepPlan } from './sweepPlan';

/**
 * A sweep as it is kept in IndexedDB (store/meta.ts, key "sweep") so it survives a reload: its plan,
 * the report of every finished setup, the stage runs it made with their times, and its wall time
 * so far. The report the page shows and the plots read (`SweepReport`, the runner's JSON shape) is
 * derived from it. Pure.
 */
export interface SweepRecord {
  plan: SweepPlan;
  /** finished setups: pointKey(seed, value index) → its report */
  reports: Record<string, PipelineReport>;
  /** every stage (and evaluation) run so far, with its wall time */
  stageTimes: SweepStageTime[];
  /** stage runs made so far (pretraining, SFT, RM, PPO; a stage stopped part-way is not counted) */
  stageRuns: number;
  /** wall seconds the sweep has been running, over every session (not the time the page was closed) */
  seconds: number;
  /** 'running' in a record read back after a reload: the page closed mid-sweep */
  state: 'running' | 'stopped' | 'done' | 'failed';
  /** why it failed (plain text) */
  message?: string;
}

export const SWEEP_META_KEY = 'sweep';

export function newSweepRecord(plan: SweepPlan): SweepRecord {
  return { plan, reports: {}, stageTimes: [], stageRuns: 0, seconds: 0, state: 'running' };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A stored sweep read back: null when there is none or it is not one this app can continue. */
export function readSweepRecord(v: unknown): SweepRecord | null {
  if (!isObject(v) || !isObject(v.plan) || !isObject(v.reports) || !Array.isArray(v.stageTimes)) return null;
  const p = v.plan;
  if (typeof p.key !== 'string' || !PIPELINE_SETTINGS[p.key] || !isObject(p.base)) return null;
  if (!Array.isArray(p.values) || !p.values.every((x) => typeof x === 'string') || p.values.length === 0) return null;
  if (!Array.isArray(p.seeds) || !p.seeds.every((x) => Number.isSafeInteger(x)) || p.seeds.length === 0) return null;
  if (typeof v.stageRuns !== 'number' || typeof v.seconds !== 'number') return null;
  if (v.state !== 'running' && v.state !== 'stopped' && v.state !== 'done' && v.state !== 'failed') return null;
  return v as unknown as SweepRecord;
}

/** Setups finished, and in all. */
export function pointsDone(rec: SweepRecord): { done: number; total: number } {
  return { done: Object.keys(rec.reports).length, total: rec.plan.values.length * rec.plan.seeds.length };
}

/**
 * The sweep's report in the runner's shape: the seeds whose every value finished, in plan order,
 * and per value their reports (reports[i] is seeds[i]'s run); `complete` once every seed is in.
 */
export function sweepReportOf(rec: SweepRecord): SweepReport {
  const { plan } = rec;
  const seeds = plan.seeds.filter((s) => plan.values.every((_, j) => rec.reports[pointKey(s, j)]));
  const any = Object.values(rec.reports)[0];
  return {
    kind: 'sweep',
    complete: rec.state === 'done' && seeds.length === plan.seeds.length,
    task: plan.base.task,
    preset: plan.base.preset,
    backend: any?.backend ?? '',
    key: plan.key,
    values: [...plan.values],
    seeds,
    wall_seconds: rec.seconds,
    points: plan.values.map((value, j) => ({ value, reports: seeds.map((s) => rec.reports[pointKey(s, j)]) })),
    stage_runs: rec.stageRuns,
    from_scratch_stage_runs: 4 * pointsDone(rec).done,
    stage_seconds: rec.stageTimes.map((t) => ({ ...t })),
  };
}
