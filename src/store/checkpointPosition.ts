import { STAGES, type StageName } from '../rlhf/stages';

/**
 * Where a checkpoint sits in a run: its stage, its step, and whether it ends the stage. The run
 * record keeps the position of the newest checkpoint whose curves it holds (`curvesAt`), so a
 * resume never starts from a checkpoint whose metrics were not written yet (a tab closed between
 * the worker's checkpoint write and the page's metrics write).
 */
export interface CheckpointPosition {
  stage: StageName;
  step: number;
  final: boolean;
}

/** A stored position, or undefined when it is missing or malformed (a record is never refused for it). */
export function positionOf(v: unknown): CheckpointPosition | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const p = v as Record<string, unknown>;
  if (!(STAGES as readonly unknown[]).includes(p.stage) || !Number.isSafeInteger(p.step) || typeof p.final !== 'boolean') return undefined;
  return { stage: p.stage as StageName, step: p.step as number, final: p.final };
}

/** Whether checkpoint `a` was written no later than `b` in a run: stage order, then step, a stage's final one last. */
function notAfter(a: CheckpointPosition, b: CheckpointPosition): boolean {
  const sa = STAGES.indexOf(a.stage);
  const sb = STAGES.indexOf(b.stage);
  if (sa !== sb) return sa < sb;
  if (a.final !== b.final) return b.final;
  return a.final || a.step <= b.step;
}

/**
 * The checkpoints (newest first) a resume may start from: those whose curves the record holds.
 * With no `curvesAt` (an older record), or when none is that old, every one (training is kept;
 * the curves may then have a gap).
 */
export function resumable<T extends CheckpointPosition>(newestFirst: readonly T[], curvesAt: CheckpointPosition | undefined): readonly T[] {
  if (!curvesAt) return newestFirst;
  const covered = newestFirst.filter((c) => notAfter(c, curvesAt));
  return covered.length ? covered : newestFirst;
}
