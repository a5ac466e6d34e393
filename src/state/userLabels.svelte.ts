import type { PipelineConfig } from '../rlhf/config';
import type { UserData } from '../rlhf/pipeline';
import { datasets } from './datasets.svelte';

/**
 * Whether the pipeline trains on the user's stored labels (the labeling view and imports):
 * 'mix' adds them to the simulated labelers' data, 'replace' uses only them for a stage that has
 * any. Rankings join the reward model only with exactly K = rm.k responses (one K-way batch element).
 */
export type UserLabelMode = 'off' | 'mix' | 'replace';

export const userLabels = $state({ mode: 'off' as UserLabelMode });

/** What the stored labels give a run with this config: counts usable now. */
export function usableLabels(cfg: PipelineConfig): { demonstrations: number; rankings: number; otherK: number } {
  if (datasets.task !== cfg.task) return { demonstrations: 0, rankings: 0, otherK: 0 };
  const rankings = datasets.rankings.filter((r) => r.ranking.length === cfg.rm.k).length;
  return { demonstrations: datasets.demonstrations.length, rankings, otherK: datasets.rankings.length - rankings };
}

/** The `userData` of a pipeline command, or null when the user's labels are not used. */
export function userDataForRun(cfg: PipelineConfig): { data: UserData; summary: string } | null {
  if (userLabels.mode === 'off') return null;
  const n = usableLabels(cfg);
  if (!n.demonstrations && !n.rankings) return null;
  const data: UserData = {
    mode: userLabels.mode,
    demonstrations: datasets.demonstrations.map(({ prompt, completion }) => ({ prompt, completion })),
    rankings: datasets.rankings.filter((r) => r.ranking.length === cfg.rm.k).map(({ prompt, ranking }) => ({ prompt, ranking: [...ranking] })),
  };
  return { data, summary: userDataSummary(data) };
}

/** One sentence on the labels a run uses (also for a resumed run, from its record). */
export function userDataSummary(data: UserData): string {
  const how = data.mode === 'mix' ? 'mixed with the simulated labelers’ data' : 'replacing the simulated labelers’ data where there are any';
  return `${data.demonstrations.length} of your demonstrations and ${data.rankings.length} of your rankings, ${how}.`;
}
