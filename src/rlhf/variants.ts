import type { AdapterSummary, BackendName } from '../engine/backend';
import { STAGES_AND_EVAL, type StageName } from './stages';
import type { PipelineConfig } from './config';
import { forkStage } from './settingStages';
import { runPipeline, type PipelineCheckpoint, type PipelineHooks, type PipelineReport, type UserData } from './pipeline';

/**
 * Runs that differ only in later stages share the earlier ones: variants of a setup (a sweep of a
 * PPO knob, γ_ptx = 0 beside γ_ptx > 0) run the shared stages once, keep the end-of-stage checkpoint
 * in memory, and resume every other variant from it. Runs are deterministic, so a variant's report
 * equals a from-scratch run of its setup (tests/gpu/variants.test.ts).
 */

const ORDER: readonly (StageName | 'eval')[] = STAGES_AND_EVAL;

export interface VariantsResult {
  reports: PipelineReport[];
  /** the stage the variants fork at: every stage before it ran once */
  fork: StageName | 'eval' | null;
  /** stage runs made (a from-scratch run of every variant would make 4 × variants) */
  stageRuns: number;
}

/**
 * Runs every setup; each later one shares with the first every stage before the first one it changes
 * (a setup sweep may change the RM in one setup and only PPO in another: the second resumes after the
 * first's RM). `hooks(i)` are the hooks of variant i (its checkpoints are not saved: the shared ones
 * are kept in memory, one per stage some variant resumes after).
 */
export async function runVariants(
  configs: PipelineConfig[],
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: (i: number) => Omit<PipelineHooks, 'checkpoint'>,
  userData?: UserData,
  onReport?: (i: number, report: PipelineReport) => void,
): Promise<VariantsResult> {
  if (configs.length === 0) throw new Error('runVariants: no setups');
  // variant i restarts at the first stage it changes against setup 0 (null: unchanged, or at
  // pretraining: from scratch); a change of the evaluation alone restores PPO's policy from its
  // end-of-stage checkpoint
  const restartOf = configs.map((c, i) => (i === 0 ? null : forkStage(configs[0], c)));
  const sharedOf = restartOf.map((f) => (f !== null && ORDER.indexOf(f) > 0 ? (ORDER[ORDER.indexOf(f) - 1] as StageName) : null));
  const needed = new Set(sharedOf.filter((s) => s !== null));
  const forks = restartOf.filter((f) => f !== null);
  const fork = forks.length ? ORDER[Math.min(...forks.map((f) => ORDER.indexOf(f)))] : null;
  const kept = new Map<StageName, PipelineCheckpoint>();
  const reports: PipelineReport[] = [];
  let stageRuns = 0;
  try {
    for (let i = 0; i < configs.length; i++) {
      const h = hooks(i);
      const shared = sharedOf[i];
      const resume = shared ? kept.get(shared) : undefined;
      const report = await runPipeline(
        configs[i],
        engine,
        {
          ...h,
          lmCheckpointEvery: 0,
          ppoCheckpointEvery: Number.MAX_SAFE_INTEGER,
          checkpoint: async (c) => {
            if (i === 0 && c.final && needed.has(c.stage)) kept.set(c.stage, c);
          },
        },
        resume,
        userData,
      );
      stageRuns += resume ? 4 - ORDER.indexOf(resume.stage) - 1 : 4;
      reports.push(report);
      onReport?.(i, report);
    }
  } finally {
    kept.clear();
  }
  return { reports, fork, stageRuns };
}
