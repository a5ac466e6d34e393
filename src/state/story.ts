import type { RunState } from '../worker/protocol';
import type { StageName } from '../rlhf/stages';
import type { PipelineReport } from '../rlhf/pipelineTypes';

/**
 * What the pipeline diagram (ui/StoryDiagram.svelte) says about the current run, from the page's
 * reflection of it (state/run.svelte.ts): where each stage is, the running stage's progress and
 * ETA, and once the evaluation is known, its headline. Pure.
 */
type StageStatus = 'waiting' | 'running' | 'done' | 'failed' | 'stopped';

/** The part of `run` the diagram reads. */
interface RunView {
  state: RunState;
  stage: StageName | null;
  step: number;
  total: number;
  etaSeconds: number;
  stages: readonly { stage: StageName | 'eval'; state: 'running' | 'done'; message?: string }[];
}

/** A stage's status: its last transition, and how the run ended if it never finished. */
export function stageStatus(run: RunView, id: StageName | 'eval'): StageStatus {
  const last = run.stages.filter((s) => s.stage === id).at(-1);
  if (!last) return 'waiting';
  if (last.state === 'done') return 'done';
  if (run.state === 'failed') return 'failed';
  if (run.state === 'stopped') return 'stopped';
  return 'running';
}

/** The message of a stage's last 'done' transition ('' when none). */
export function doneMessage(run: RunView, id: StageName | 'eval'): string {
  return run.stages.filter((s) => s.stage === id && s.state === 'done').at(-1)?.message ?? '';
}

/** "40 s left", "3 min left"; '' when there is no estimate yet. */
function etaText(seconds: number): string {
  return !Number.isFinite(seconds) || seconds <= 0 ? '' : seconds < 90 ? `${Math.round(seconds)} s left` : `${Math.round(seconds / 60)} min left`;
}

interface Progress {
  step: number;
  total: number;
  /** 0…1 */
  fraction: number;
  eta: string;
}

/** The progress of a stage while it runs and reports steps (null otherwise: the evaluation, a stage starting up). */
export function stageProgress(run: RunView, id: StageName | 'eval'): Progress | null {
  if (id === 'eval' || run.stage !== id || run.total <= 0 || stageStatus(run, id) !== 'running') return null;
  const step = Math.min(run.step, run.total);
  return { step, total: run.total, fraction: step / run.total, eta: etaText(run.etaSeconds) };
}

interface Headline {
  /** PPO preferred to SFT, 0…1 */
  winrate: number;
  /** its 95% interval over the evaluation prompts, when the report has one */
  ci95: [number, number] | null;
  prompts: number;
  /** 'test', or 'dev' for a report on the validation split */
  split: 'test' | 'dev';
  /** the held-out labelers' mean score of each model's answers */
  scores: { model: 'base' | 'SFT' | 'PPO'; score: number }[];
}

/** The evaluation's headline numbers (null before there is a report). */
export function headlineOf(report: PipelineReport | null): Headline | null {
  if (!report) return null;
  const e = report.eval;
  const ci = e.winrate_ci95;
  return {
    winrate: e.winrate_ppo_vs_sft,
    ci95: ci && ci.every(Number.isFinite) ? [ci[0], ci[1]] : null,
    prompts: e.prompts,
    split: (e.split ?? report.config.eval?.split) === 'val' ? 'dev' : 'test',
    scores: [
      { model: 'base', score: e.labeler_score.base },
      { model: 'SFT', score: e.labeler_score.sft },
      { model: 'PPO', score: e.labeler_score.ppo },
    ],
  };
}

/** 0.611 → "61%"; '–' when not a number. */
export function percent(x: number): string {
  return Number.isFinite(x) ? `${Math.round(100 * x)}%` : '–';
}
