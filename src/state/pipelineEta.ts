import { STAGES_AND_EVAL, stageIndex, type StageName } from '../rlhf/stages';
import type { PipelineConfig } from '../rlhf/config';
import type { PipelineReport } from '../rlhf/pipelineTypes';

/**
 * How long the whole pipeline still needs, not only the stage running now. A stage that has not
 * started has no progress to time, so its time comes from an earlier finished run of the same task
 * and model on this browser (seconds per step, per PPO iteration, per evaluation prompt), scaled by
 * how fast this run goes against that one on the stages it has timed. A first run has none of its
 * own: for the shipped example's task and preset the example's own run (public/example/manifest.json)
 * serves, scaled the same way. Without either, or before the running stage is a tenth through, there
 * is no estimate: a guess would not be honest. Pure.
 */
type Stage = StageName | 'eval';
type PerStage = Record<Stage, number>;

/** The running stage must be this far through before its own ETA (and so the whole one) is trusted. */
const MIN_FRACTION = 0.1;

/** Units of work per stage: optimizer steps, PPO iterations, evaluation prompts (NaN where a stored config lacks one). */
export function stageUnits(cfg: Partial<PipelineConfig>): PerStage {
  const n = (x: number | undefined) => x ?? NaN;
  return { pretrain: n(cfg.pretrain?.steps), sft: n(cfg.sft?.steps), rm: n(cfg.rm?.steps), ppo: n(cfg.ppo?.iterations), eval: n(cfg.eval?.testPrompts) };
}

/**
 * Seconds per unit of each stage in a finished run (null when a stage's time is missing). The RM's
 * time includes sampling the responses it ranks; the evaluation's is what the run's time leaves
 * after its stages.
 */
function secondsPerUnit(report: PipelineReport): PerStage | null {
  const s = report.stages;
  const units = stageUnits(report.config);
  const rm = s.rm.seconds + (s.rm.sampling_seconds ?? 0);
  const evalSeconds = report.seconds - s.pretrain.seconds - s.sft.seconds - rm - s.ppo.seconds;
  const seconds: PerStage = { pretrain: s.pretrain.seconds, sft: s.sft.seconds, rm, ppo: s.ppo.seconds, eval: evalSeconds };
  const out = {} as PerStage;
  for (const st of STAGES_AND_EVAL) {
    if (!(seconds[st] > 0) || !(units[st] > 0)) return null;
    out[st] = seconds[st] / units[st];
  }
  return out;
}

interface EtaInput {
  /** the run's stage transitions in order, with when each happened (ms) */
  stages: readonly { stage: Stage; state: 'running' | 'done'; at: number }[];
  step: number;
  total: number;
  /** the running stage's own ETA from its step rate (seconds; ≤ 0: none yet) */
  stageEta: number;
  now: number;
  units: PerStage;
  /** seconds per unit in an earlier finished run of the same task and model (null: none) */
  reference: PerStage | null;
}

/** Seconds the whole pipeline still needs, or null when that cannot be said honestly yet. */
export function pipelineEta(x: EtaInput): number | null {
  const started = new Map<Stage, number>();
  const finished = new Map<Stage, number>();
  for (const t of x.stages) (t.state === 'running' ? started : finished).set(t.stage, t.at);
  const running = [...started.keys()].filter((s) => !finished.has(s)).at(-1);
  if (!running || !x.reference) return null;
  const ref = x.reference;
  const expected = (s: Stage) => ref[s] * x.units[s];
  const elapsed = Math.max(0, (x.now - started.get(running)!) / 1000);

  // the running stage: its own step-rate ETA once it is far enough in; the evaluation reports no steps
  let left: number;
  let projected: number;
  if (running === 'eval') {
    left = NaN;
    projected = NaN;
  } else {
    if (x.total <= 0 || x.step / x.total < MIN_FRACTION || !(x.stageEta > 0 || x.step >= x.total)) return null;
    left = Math.max(0, x.stageEta);
    projected = elapsed + left;
  }
  // this run against the reference: the stages timed here from start to end (a resumed run's restored ones were not)
  let measured = Number.isFinite(projected) ? projected : 0;
  let predicted = Number.isFinite(projected) ? expected(running) : 0;
  for (const [s, end] of finished) {
    const begin = started.get(s);
    if (begin === undefined || end <= begin) continue;
    measured += (end - begin) / 1000;
    predicted += expected(s);
  }
  if (!(measured > 0) || !(predicted > 0)) return null;
  const factor = measured / predicted;
  if (running === 'eval') left = Math.max(0, expected('eval') * factor - elapsed);
  const later = STAGES_AND_EVAL.filter((s) => stageIndex(s) > stageIndex(running));
  const total = left + later.reduce((sum, s) => sum + expected(s) * factor, 0);
  return Number.isFinite(total) ? total : null;
}

/** "about 40 s", "about 3 min" for the whole pipeline. */
export function aboutText(seconds: number): string {
  return seconds < 90 ? `about ${Math.max(5, Math.round(seconds / 5) * 5)} s` : `about ${Math.round(seconds / 60)} min`;
}

/** The run records the reference is chosen from (store/runs.ts's RunRecord, in the part read here). */
interface SavedRun {
  id: string;
  task: string;
  preset: string;
  report?: unknown;
  imported?: unknown;
  forkedFrom?: unknown;
}

/**
 * The seconds per unit of the newest finished run of `current`'s task and preset, other than it
 * (`list` newest first, as state/runs.svelte.ts keeps it). A fork or a run from an imported model
 * ran only some stages itself, so its times are not the whole pipeline's: it is passed over.
 */
export function referenceOf(list: readonly SavedRun[], current: SavedRun | undefined): PerStage | null {
  if (!current) return null;
  for (const r of list) {
    if (r.id === current.id || r.task !== current.task || r.preset !== current.preset || r.imported || r.forkedFrom) continue;
    const report = r.report as PipelineReport | undefined;
    if (!report?.stages || !report.config || report.judged) continue;
    const ref = secondsPerUnit(report);
    if (ref) return ref;
  }
  return null;
}

/**
 * Before this browser has finished a run of `current`'s task and preset: the seconds per unit of the run
 * that made the shipped example (its manifest's report), when it is of the same task and preset. Its
 * machine is not this one; pipelineEta scales it by this run's own pace like any reference.
 */
export function exampleReferenceOf(
  example: { task: string; preset: string; report: PipelineReport } | null | undefined,
  current: SavedRun | undefined,
): PerStage | null {
  if (!example || !current || example.task !== current.task || example.preset !== current.preset) return null;
  return secondsPerUnit(example.report);
}
