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
 * Runs every setup, sharing the stages before the first one any variant changes. `hooks(i)` are
 * the hooks of variant i (its checkpoints are not saved: the shared one is kept in memory).
 */
export async function runVariants(
  configs: PipelineConfig[],
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: (i: number) => Omit<PipelineHooks, 'checkpoint'>,
  userData?: UserData,
  onReport?: (i: number, report: PipelineReport) => void,
): Promise<VariantsResult> {
  if (configs.length === 0) throw new Error('runVariants: no setups');
  const forks = configs
    .slice(1)
    .map((c) => forkStage(configs[0], c))
    .filter((f) => f !== null);
  const earliest = forks.length ? Math.min(...forks.map((f) => ORDER.indexOf(f))) : null;
  // Variants restart at the earliest changed stage (a change of the evaluation alone restores PPO's
  // policy from its end-of-stage checkpoint).
  const restart = earliest ?? 0;
  const shared = restart > 0 ? (ORDER[restart - 1] as StageName) : null;
  const fork = earliest === null ? null : ORDER[earliest];
  let kept: PipelineCheckpoint | undefined;
  const reports: PipelineReport[] = [];
  let stageRuns = 0;
  for (let i = 0; i < configs.length; i++) {
    const h = hooks(i);
    const resume = i > 0 ? kept : undefined;
    const report = await runPipeline(
      configs[i],
      engine,
      {
        ...h,
        lmCheckpointEvery: 0,
        ppoCheckpointEvery: Number.MAX_SAFE_INTEGER,
        checkpoint: async (c) => {
          if (i === 0 && shared && c.stage === shared && c.final) kept = c;
        },
      },
      resume,
      userData,
    );
    stageRuns += resume ? 4 - ORDER.indexOf(resume.stage) - 1 : 4;
    reports.push(report);
    onReport?.(i, report);
  }
  return { reports, fork, stageRuns };
}
