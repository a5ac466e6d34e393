import type { RunState } from '../worker/protocol';
import type { StageName } from '../rlhf/stages';
import type { PipelineReport } from '../rlhf/pipelineTypes';
import { getTask } from '../tasks';

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

/** Who the evaluation judged against SFT: the run's own PPO policy, or a policy imported into a judge run. */
type Judged = 'PPO' | 'Imported policy';

/** One evaluation prompt where the judged policy's answer beat SFT's, both answers as plain text. */
interface BestPair {
  prompt: string;
  sft: string;
  policy: string;
  /** the labelers' noise-free rubric score of each answer, 0…1 */
  sftScore: number;
  policyScore: number;
}

interface Headline {
  /** the judged policy preferred to SFT, 0…1 */
  winrate: number;
  /** its 95% interval over the evaluation prompts, when the report has one */
  ci95: [number, number] | null;
  prompts: number;
  /** 'test', or 'dev' for a report on the validation split */
  split: 'test' | 'dev';
  policy: Judged;
  /** a judge run: where the imported policy came from and the run whose evaluation judged it */
  judged: { source: string; runName: string } | null;
  /** the held-out labelers' mean score of each model's answers */
  scores: { model: 'base' | 'SFT' | Judged; score: number }[];
  pair: BestPair | null;
}

type Scorer = (prompt: string, response: string) => number;

/** The task's noise-free rubric (null for a task this page does not know). */
function rubricOf(task: string): Scorer | null {
  try {
    const t = getTask(task);
    return (prompt, response) => t.score(prompt, response).total;
  } catch {
    return null;
  }
}

/**
 * The sample where the judged policy's answer beat SFT's by the widest margin on the rubric (null
 * when it beat SFT on none of them). The report keeps the answers to its first evaluation prompts.
 */
function bestPair(samples: readonly { prompt: string; sft: string; ppo: string }[], score: Scorer): BestPair | null {
  let best: BestPair | null = null;
  for (const s of samples) {
    const sftScore = score(s.prompt, s.sft);
    const policyScore = score(s.prompt, s.ppo);
    if (policyScore > sftScore && (!best || policyScore - sftScore > best.policyScore - best.sftScore))
      best = { prompt: s.prompt, sft: s.sft, policy: s.ppo, sftScore, policyScore };
  }
  return best;
}

/** The evaluation's headline numbers (null before there is a report). `score` defaults to the report's task's rubric. */
export function headlineOf(report: PipelineReport | null, score: Scorer | null = report ? rubricOf(report.task) : null): Headline | null {
  if (!report) return null;
  const e = report.eval;
  const ci = e.winrate_ci95;
  const policy: Judged = report.judged ? 'Imported policy' : 'PPO';
  return {
    winrate: e.winrate_ppo_vs_sft,
    ci95: ci && ci.every(Number.isFinite) ? [ci[0], ci[1]] : null,
    prompts: e.prompts,
    split: (e.split ?? report.config.eval?.split) === 'val' ? 'dev' : 'test',
    policy,
    judged: report.judged ? { source: report.judged.policy, runName: report.judged.run_name } : null,
    scores: [
      { model: 'base', score: e.labeler_score.base },
      { model: 'SFT', score: e.labeler_score.sft },
      { model: policy, score: e.labeler_score.ppo },
    ],
    pair: score && Array.isArray(e.samples) ? bestPair(e.samples, score) : null,
  };
}

/**
 * The report the headline shows: the current run's; on a page that has run nothing yet, the newest
 * saved run's when it finished (`saved` newest first), named, so a reload does not empty the story.
 */
export function headlineSource(
  run: Pick<RunView, 'state' | 'stages'> & { report: PipelineReport | null },
  saved: readonly { name: string; report?: unknown }[],
): { report: PipelineReport; savedRun: string | null } | null {
  if (run.report) return { report: run.report, savedRun: null };
  if (run.state === 'training' || run.stages.length) return null;
  const newest = saved[0];
  const report = newest?.report as PipelineReport | undefined;
  return report?.eval && report.config ? { report, savedRun: newest.name } : null;
}

/** 0.611 → "61%"; '–' when not a number. */
export function percent(x: number): string {
  return Number.isFinite(x) ? `${Math.round(100 * x)}%` : '–';
}
