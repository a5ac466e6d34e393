/**
 * Runs: one record per training run (setup, stage status, metric history, report). Pure
 * storage: no tfjs, no UI. A run's checkpoints live in checkpoints.ts; deleting a run deletes
 * them too.
 *
 * Metric history is kept in the run record, so appending rewrites the record: call
 * {@link updateRun} with `appendMetrics` once per log interval or checkpoint, not per token.
 * Concurrent updates are safe: each is one read-modify-write transaction.
 */

import { STAGES, blobRange, newId, normalizeRun, now, writeTx, type Db, type RunRow, type RunUserData, type StageName, type StageStatus } from './db';
import { positionOf, type CheckpointPosition } from './checkpointPosition';

export type { StageName };
export type RunRecord = RunRow;

export const MAX_RUN_NAME = 100;

/** A run name that {@link validateRunName} refused; `message` is plain text for the user. */
class RunNameError extends Error {
  override name = 'RunNameError';
}

export type NameCheck = { ok: true; name: string } | { ok: false; message: string };

/**
 * Checks a run name: trimmed, non-empty, at most {@link MAX_RUN_NAME} characters (code points),
 * no control characters. The name is stored as given (after trimming): it is plain text, so
 * "<b>x</b>" stays exactly that and the UI must render it as text.
 */
export function validateRunName(raw: unknown): NameCheck {
  if (typeof raw !== 'string') return { ok: false, message: 'The run name must be text.' };
  const name = raw.trim();
  if (name.length === 0) return { ok: false, message: 'The run name must not be empty.' };
  const n = Array.from(name).length;
  if (n > MAX_RUN_NAME) {
    return { ok: false, message: `The run name is ${n} characters long; at most ${MAX_RUN_NAME} are allowed.` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    return { ok: false, message: 'The run name must not contain line breaks, tabs or other control characters.' };
  }
  return { ok: true, name };
}

function checkedName(raw: unknown): string {
  const c = validateRunName(raw);
  if (!c.ok) throw new RunNameError(c.message);
  return c.name;
}

export interface NewRun {
  /** Default: a random id. */
  id?: string;
  name: string;
  task: string;
  preset: string;
  seed: number;
  /** Any structured-cloneable value; JSON in practice. */
  config: unknown;
  /** The user's own labels the run trains on; a resume reads them back from here. */
  userData?: RunUserData;
  /** The run starts from an imported model (its first stages skipped). */
  imported?: RunRow['imported'];
  /** The run is a fork of a saved run (store/forkRun.ts). */
  forkedFrom?: RunRow['forkedFrom'];
}

/** Creates a run with every stage 'waiting' and no metrics. Throws if the id exists. */
export async function createRun(db: Db, init: NewRun): Promise<RunRecord> {
  checkSetup(init);
  if (init.userData !== undefined) checkUserData(init.userData);
  const t = now();
  const run = normalizeRun({
    ...init,
    id: init.id ?? newId(),
    name: checkedName(init.name),
    createdAt: t,
    updatedAt: t,
    stageStatus: undefined,
    metrics: undefined,
  });
  await db.add('runs', run);
  return run;
}

export function getRun(db: Db, id: string): Promise<RunRecord | undefined> {
  return db.get('runs', id);
}

/** Every run, newest (by creation) first. */
export async function listRuns(db: Db): Promise<RunRecord[]> {
  const runs = await db.getAllFromIndex('runs', 'by-created');
  return runs.reverse();
}

export interface RunPatch {
  name?: string;
  task?: string;
  preset?: string;
  seed?: number;
  config?: unknown;
  /** Merged into the current status: only the stages given change. */
  stageStatus?: Partial<Record<StageName, StageStatus>>;
  /** Values appended to each named history (created when new); applied after `setMetrics`. */
  appendMetrics?: Partial<Record<StageName, Record<string, readonly number[]>>>;
  /** Replaces whole histories, e.g. to truncate them to a checkpoint's cursor on resume. */
  setMetrics?: Partial<Record<StageName, Record<string, readonly number[]>>>;
  report?: unknown;
  /** The newest checkpoint whose curves the record now holds (written with the metrics that cover it). */
  curvesAt?: CheckpointPosition;
}

/**
 * Applies a partial update in one transaction and returns the new record. Throws if the run
 * does not exist or the new name is invalid ({@link RunNameError}).
 */
export async function updateRun(db: Db, id: string, patch: RunPatch): Promise<RunRecord> {
  const name = patch.name === undefined ? undefined : checkedName(patch.name);
  checkSetup(patch);
  return writeTx(db, ['runs'], async (tx) => {
    const store = tx.objectStore('runs');
    const run = await store.get(id);
    if (!run) throw new Error(`No run with id "${id}".`);
    if (name !== undefined) run.name = name;
    if (patch.task !== undefined) run.task = patch.task;
    if (patch.preset !== undefined) run.preset = patch.preset;
    if (patch.seed !== undefined) run.seed = patch.seed;
    if (patch.config !== undefined) run.config = patch.config;
    if (patch.report !== undefined) run.report = patch.report;
    if (patch.curvesAt !== undefined) run.curvesAt = checkedPosition(patch.curvesAt);
    for (const [stage, status] of Object.entries(patch.stageStatus ?? {}) as [StageName, StageStatus][]) {
      run.stageStatus[checkStage(stage)] = checkStatus(status);
    }
    for (const [stage, byName] of Object.entries(patch.setMetrics ?? {}) as [StageName, Record<string, number[]>][]) {
      for (const [metric, values] of Object.entries(byName)) run.metrics[checkStage(stage)][metric] = [...values];
    }
    for (const [stage, byName] of Object.entries(patch.appendMetrics ?? {}) as [StageName, Record<string, number[]>][]) {
      const hist = run.metrics[checkStage(stage)];
      for (const [metric, values] of Object.entries(byName)) {
        const h = (hist[metric] ??= []);
        for (const v of values) h.push(v);
      }
    }
    run.updatedAt = now();
    await store.put(run);
    return run;
  });
}

function checkedPosition(p: CheckpointPosition): CheckpointPosition {
  const ok = positionOf(p);
  if (!ok) throw new TypeError(`A checkpoint position must name a stage, a step and whether it is final, not ${JSON.stringify(p)}.`);
  return ok;
}

function checkSetup(p: { task?: unknown; preset?: unknown; seed?: unknown }): void {
  if (p.task !== undefined && typeof p.task !== 'string') throw new TypeError("A run's task must be a string.");
  if (p.preset !== undefined && typeof p.preset !== 'string') throw new TypeError("A run's preset must be a string.");
  if (p.seed !== undefined && !Number.isSafeInteger(p.seed)) throw new TypeError("A run's seed must be an integer.");
}

/**
 * Refuses user data that a resume could not train on, naming what is wrong (a run record is
 * written before training starts, so a bad value must fail here, not hours later).
 */
function checkUserData(u: RunUserData): void {
  const bad = (what: string): never => {
    throw new TypeError(`A run's user data is invalid: ${what}.`);
  };
  if (u === null || typeof u !== 'object') bad('it must be an object');
  if (u.mode !== 'mix' && u.mode !== 'replace') bad(`mode must be "mix" or "replace", not ${JSON.stringify(u.mode)}`);
  if (!Array.isArray(u.demonstrations)) bad('demonstrations must be a list');
  if (!Array.isArray(u.rankings)) bad('rankings must be a list');
  u.demonstrations.forEach((d, i) => {
    if (typeof d?.prompt !== 'string' || typeof d?.completion !== 'string') bad(`demonstration ${i + 1} needs a text prompt and completion`);
  });
  u.rankings.forEach((r, i) => {
    if (typeof r?.prompt !== 'string' || !Array.isArray(r?.ranking) || !r.ranking.every((x) => typeof x === 'string'))
      bad(`ranking ${i + 1} needs a text prompt and a list of text responses`);
  });
}

const STATUSES: readonly StageStatus[] = ['waiting', 'running', 'done', 'failed'];

function checkStatus(status: string): StageStatus {
  if (!(STATUSES as readonly string[]).includes(status)) throw new Error(`Unknown stage status "${status}".`);
  return status as StageStatus;
}

function checkStage(stage: string): StageName {
  if (!(STAGES as readonly string[]).includes(stage)) throw new Error(`Unknown stage "${stage}".`);
  return stage as StageName;
}

/** Renames a run (see {@link validateRunName}); throws {@link RunNameError} on a bad name. */
export function renameRun(db: Db, id: string, name: string): Promise<RunRecord> {
  return updateRun(db, id, { name });
}

/**
 * Deletes a run with all its checkpoints and their blobs, in one transaction. Returns whether
 * the run existed and how many checkpoints went with it.
 */
export function deleteRun(db: Db, id: string): Promise<{ existed: boolean; checkpoints: number }> {
  return writeTx(db, ['runs', 'checkpoints', 'blobs'], async (tx) => {
    const existed = (await tx.objectStore('runs').getKey(id)) !== undefined;
    const ckpts = tx.objectStore('checkpoints');
    const ids = await ckpts.index('by-run').getAllKeys(id);
    const blobs = tx.objectStore('blobs');
    await Promise.all(ids.flatMap((ck) => [blobs.delete(blobRange(ck)), ckpts.delete(ck)]));
    await tx.objectStore('runs').delete(id);
    return { existed, checkpoints: ids.length };
  });
}
