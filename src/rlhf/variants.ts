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
 * Runs every setup; each later one resumes after the last stage it shares with an earlier one (the
 * one it shares most with): a setup sweep may change the RM in one setup and only PPO in the next,
 * which then resumes after the RM of the one before. `hooks(i)` are the hooks of variant i (its
 * checkpoints are not saved: the shared ones are kept in memory, only those some variant resumes from).
 */
export async function runVariants(
  configs: PipelineConfig[],
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: (i: number) => Omit<PipelineHooks, 'checkpoint'>,
  userData?: UserData,
  onReport?: (i: number, report: PipelineReport) => void,
): Promise<VariantsResult> {
  if (configs.length === 0) throw new Error('runVariants: no setups');
  // Variant i restarts at the first stage it changes against the earlier setup it shares most with
  // (none, or a change at pretraining: from scratch; the same setup again: from its end of PPO, so
  // only the evaluation runs). A change of the evaluation alone restores PPO's policy from its
  // end-of-stage checkpoint.
  const plan = configs.map((c, i) => {
    let best: { from: number; shared: StageName } | null = null;
    for (let j = 0; j < i; j++) {
      const f = forkStage(configs[j], c);
      const at = f === null ? ORDER.length - 1 : ORDER.indexOf(f);
      if (at > 0 && (!best || at - 1 > ORDER.indexOf(best.shared))) best = { from: j, shared: ORDER[at - 1] as StageName };
    }
    return best;
  });
  const needed = new Set(plan.filter((p) => p !== null).map((p) => `${p.from}:${p.shared}`));
  const changed = configs.slice(1).map((c) => forkStage(configs[0], c));
  const firsts = changed.filter((f) => f !== null);
  const fork = firsts.length ? ORDER[Math.min(...firsts.map((f) => ORDER.indexOf(f)))] : null;
  const kept = new Map<string, PipelineCheckpoint>();
  const reports: PipelineReport[] = [];
  let stageRuns = 0;
  try {
    for (let i = 0; i < configs.length; i++) {
      const h = hooks(i);
      const p = plan[i];
      const resume = p ? kept.get(`${p.from}:${p.shared}`) : undefined;
      const report = await runPipeline(
        configs[i],
        engine,
        {
          ...h,
          lmCheckpointEvery: 0,
          ppoCheckpointEvery: Number.MAX_SAFE_INTEGER,
          checkpoint: async (c) => {
            if (c.final && needed.has(`${i}:${c.stage}`)) kept.set(`${i}:${c.stage}`, c);
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
