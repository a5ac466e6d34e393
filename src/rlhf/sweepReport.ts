import type { PipelineReport } from './pipelineTypes';

/**
 * What a sweep reports (the runner's `--sweep KEY=V1,V2 --seeds a,b` JSON): one setting run over a
 * list of values, per seed; `points[j].reports[i]` is value j's run on seed `seeds[i]`. Values are
 * kept as written on the command line (strings), so "0.010" stays what the user typed.
 * `complete` is false while seeds are still to run (the runner writes the file after every seed).
 */
export interface SweepReport {
  kind: 'sweep';
  complete: boolean;
  task: string;
  preset: string;
  backend: string;
  key: string;
  values: string[];
  seeds: number[];
  wall_seconds: number;
  points: { value: string; reports: PipelineReport[] }[];
}
