import type { PipelineReport } from './pipelineTypes';
import type { StageName } from './stages';

/**
 * The report of a sweep: one setting over a list of values, per seed. The headless runner's
 * `--sweep` writes it as JSON, the app's sweep (state/sweep.svelte.ts) holds it as `sweepState.report`,
 * and the plots read it from either. Only types live here, so the page and the plots can import it
 * without pulling in the pipeline.
 */
export interface SweepReport {
  kind: 'sweep';
  /** false while the sweep runs or after it stopped: the points hold the seeds finished so far */
  complete: boolean;
  task: string;
  preset: string;
  backend: string;
  /** the swept setting, e.g. 'ppo.beta' */
  key: string;
  /** the values as written (the runner's `--sweep key=v1,v2` text), one point each */
  values: string[];
  /** the seeds whose reports the points hold, in order */
  seeds: number[];
  wall_seconds: number;
  /** one per value, in the order of `values`; reports[i] is the run of seeds[i] */
  points: SweepPoint[];
  /** stage runs made (pretraining, SFT, RM, PPO; the app's sweep records it, the runner's JSON lacks it) */
  stage_runs?: number;
  /** stage runs the same setups would make from scratch: 4 × setups */
  from_scratch_stage_runs?: number;
  /** every stage (and evaluation) actually run, with its wall time */
  stage_seconds?: SweepStageTime[];
}

interface SweepPoint {
  value: string;
  reports: PipelineReport[];
}

/** One stage run of a sweep: the first setup that ran it, and how many setups share its result. */
export interface SweepStageTime {
  seed: number;
  value: string;
  stage: StageName | 'eval';
  seconds: number;
  /** setups that use this stage's result (1 unless the stage is shared by a seed's setups) */
  setups: number;
}

/** What running every setup from scratch would have taken: each shared stage counted once per setup. */
export function fromScratchSeconds(report: SweepReport): number | null {
  if (!report.stage_seconds) return null;
  return report.stage_seconds.reduce((sum, s) => sum + s.seconds * s.setups, 0);
}
