/**
 * A run's stored record: the pipeline stages it tracks, its shape in the "runs" store (schema in
 * db.ts), and the filling-in of fields an older or hand-written record lacks. A leaf module, so
 * both db.ts and the v1 → v2 migration can use it without importing each other.
 */

import { STAGES, type StageName } from '../rlhf/stages';
import { positionOf, type CheckpointPosition } from './checkpointPosition';

export { STAGES, type StageName };
export type StageStatus = 'waiting' | 'running' | 'done' | 'failed';

export interface RunRow {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  task: string;
  preset: string;
  seed: number;
  config: unknown;
  stageStatus: Record<StageName, StageStatus>;
  /** metrics[stage][name] = history, oldest first. */
  metrics: Record<StageName, Record<string, number[]>>;
  report?: unknown;
  /**
   * The user's own labels the run trains on (absent when it uses none), kept with the run so a
   * resume trains on exactly the same data even if the datasets were edited since.
   */
  userData?: RunUserData;
  /** The run started from an imported model: where it came from, and the stages that were skipped. */
  imported?: { source: string; skipped: StageName[] };
  /**
   * The run is a fork of a saved run: it reused that run's checkpoint from the end of the stage
   * before `stage` and ran `stage` and the later ones. The name is the source's name at the time
   * (the source may be renamed or deleted since).
   */
  forkedFrom?: ForkedFrom;
  /** The newest checkpoint whose curves `metrics` holds: a resume starts there or earlier (checkpointPosition.ts). */
  curvesAt?: CheckpointPosition;
}

/** Where a fork came from: the saved run and the first stage the fork ran itself. */
export interface ForkedFrom {
  runId: string;
  runName: string;
  stage: ForkStage;
  /** a judge run (stage 'eval'): the run's PPO policy was replaced by the policy imported from here */
  policy?: string;
}

/** The stages a run can be re-run from: every one after pretraining (the evaluation included). */
export type ForkStage = Exclude<StageName, 'pretrain'> | 'eval';
export const FORK_STAGES: readonly ForkStage[] = ['sft', 'rm', 'ppo', 'eval'];

/** A stored `forkedFrom`, or undefined when it is missing or malformed (a record is never refused for it). */
export function forkedFromOf(v: unknown): ForkedFrom | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const f = v as Record<string, unknown>;
  if (typeof f.runId !== 'string' || typeof f.runName !== 'string' || !(FORK_STAGES as readonly unknown[]).includes(f.stage)) return undefined;
  const policy = typeof f.policy === 'string' ? { policy: f.policy } : {};
  return { runId: f.runId, runName: f.runName, stage: f.stage as ForkStage, ...policy };
}

/** The user's demonstrations and rankings (best first) a run uses, and how ('mix' or 'replace'). */
export interface RunUserData {
  mode: 'mix' | 'replace';
  demonstrations: { prompt: string; completion: string }[];
  rankings: { prompt: string; ranking: string[] }[];
}

/** Fills in fields a run written by an older schema (or by hand) may lack. */
export function normalizeRun(v: Record<string, unknown>): RunRow {
  const createdAt = typeof v.createdAt === 'number' ? v.createdAt : 0;
  const status = (v.stageStatus ?? {}) as Partial<Record<StageName, StageStatus>>;
  const metrics = (v.metrics ?? {}) as Partial<Record<StageName, Record<string, number[]>>>;
  const run: RunRow = {
    id: String(v.id),
    name: typeof v.name === 'string' ? v.name : 'Untitled run',
    createdAt,
    updatedAt: typeof v.updatedAt === 'number' ? v.updatedAt : createdAt,
    task: typeof v.task === 'string' ? v.task : '',
    preset: typeof v.preset === 'string' ? v.preset : '',
    seed: typeof v.seed === 'number' ? v.seed : 0,
    config: v.config ?? {},
    stageStatus: Object.fromEntries(STAGES.map((s) => [s, status[s] ?? 'waiting'])) as Record<StageName, StageStatus>,
    metrics: Object.fromEntries(STAGES.map((s) => [s, metrics[s] ?? {}])) as Record<StageName, Record<string, number[]>>,
  };
  if (v.report !== undefined) run.report = v.report;
  if (v.userData !== undefined) run.userData = v.userData as RunUserData;
  if (v.imported !== undefined) run.imported = v.imported as RunRow['imported'];
  const forkedFrom = forkedFromOf(v.forkedFrom);
  if (forkedFrom) run.forkedFrom = forkedFrom;
  const curvesAt = positionOf(v.curvesAt);
  if (curvesAt) run.curvesAt = curvesAt;
  return run;
}
