import type { AdapterSummary, BackendName } from '../engine/backend';
import { STAGES_AND_EVAL, type StageName } from './stages';
import { PIPELINE_SETTINGS, type PipelineConfig } from './config';
import { runPipeline, type PipelineCheckpoint, type PipelineHooks, type PipelineReport, type UserData } from './pipeline';

/**
 * Runs that differ only in later stages share the earlier ones: variants of a setup (a sweep of a
 * PPO knob, γ_ptx = 0 beside γ_ptx > 0) run the shared stages once, keep the end-of-stage checkpoint
 * in memory, and resume every other variant from it. Runs are deterministic, so a variant's report
 * equals a from-scratch run of its setup (tests/gpu/variants.test.ts).
 */

const ORDER: readonly (StageName | 'eval')[] = STAGES_AND_EVAL;

/**
 * The first stage a setting changes. Prompt counts of the held-out splits (rm.heldoutPrompts,
 * eval.testPrompts) decide which prompts the pretraining corpus leaves out, so they change
 * pretraining; the labelers' agreement is first used by the RM stage; the evaluation's own
 * settings change only the evaluation.
 * @internal test seam: tested on its own
 */
export function stageOfSetting(key: string): StageName | 'eval' {
  if (key === 'rm.heldoutPrompts' || key === 'eval.testPrompts') return 'pretrain';
  if (key === 'agreement') return 'rm';
  const head = key.split('.')[0];
  if (head === 'sft' || head === 'rm' || head === 'ppo' || head === 'eval') return head;
  return 'pretrain'; // task, preset, seed, pretrain.*
}

const valueAt = (cfg: PipelineConfig, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], cfg);

/**
 * The earliest stage whose settings differ between two setups (null when they are the same).
 * @internal test seam: tested on its own
 */
export function forkStage(a: PipelineConfig, b: PipelineConfig): StageName | 'eval' | null {
  let first: number | null = null;
  for (const key of Object.keys(PIPELINE_SETTINGS)) {
    if (valueAt(a, key) === valueAt(b, key)) continue;
    const i = ORDER.indexOf(stageOfSetting(key));
    first = first === null ? i : Math.min(first, i);
  }
  return first === null ? null : ORDER[first];
}

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
  // Variants restart at the earliest changed stage; a change of the evaluation alone still re-runs
  // PPO (a finished PPO stage is not a resume point), which gives the same policy.
  const restart = earliest === null ? 0 : Math.min(earliest, ORDER.indexOf('ppo'));
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
