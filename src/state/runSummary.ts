import type { RunRecord } from '../store/runs';
import { forkedFromOf } from '../store/runRow';

/** Words and headline numbers for a saved run. Pure. */
export function runStatus(r: RunRecord, liveId: string | null, training: boolean): string {
  const st = Object.values(r.stageStatus);
  if (st.includes('failed')) return 'failed';
  if (r.report) return 'done';
  if (st.includes('running')) return r.id === liveId && training ? 'running' : 'stopped';
  if (st.every((s) => s === 'waiting')) return r.id === liveId && training ? 'starting' : 'not started';
  return r.id === liveId && training ? 'running' : 'stopped';
}

interface ReportLike {
  eval?: { winrate_ppo_vs_sft?: number; labeler_score?: { sft?: number; ppo?: number } };
  stages?: { rm?: { heldout_accuracy?: number } };
  judged?: { run_eval?: { winrate_ppo_vs_sft?: number } | null };
}

const pct = (x: number | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '–');
const last = (xs: number[] | undefined) => (xs && xs.length ? xs[xs.length - 1] : undefined);

export function headline(r: RunRecord): string {
  const rep = r.report as ReportLike | undefined;
  if (rep?.eval && rep.judged) {
    return `Imported policy preferred to SFT ${pct(rep.eval.winrate_ppo_vs_sft)} · the run’s PPO ${pct(rep.judged.run_eval?.winrate_ppo_vs_sft)}`;
  }
  if (rep?.eval) {
    return `PPO preferred to SFT ${pct(rep.eval.winrate_ppo_vs_sft)} · RM held-out accuracy ${pct(rep.stages?.rm?.heldout_accuracy)}`;
  }
  const parts: string[] = [];
  const lm = last(r.metrics.pretrain.loss);
  if (lm !== undefined) parts.push(`base loss ${lm.toFixed(2)}`);
  const sft = last(r.metrics.sft.loss);
  if (sft !== undefined) parts.push(`SFT loss ${sft.toFixed(2)}`);
  const rw = last(r.metrics.ppo.reward);
  if (rw !== undefined) parts.push(`PPO reward ${rw.toFixed(2)}`);
  return parts.join(' · ') || 'no metrics yet';
}

export function dateText(t: number): string {
  return new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The checkpoint a resume would start from, in words. */
export function checkpointText(c: { stage: string; step: number; final: boolean }): string {
  const names: Record<string, string> = { pretrain: 'base LM', sft: 'SFT', rm: 'reward model', ppo: 'PPO' };
  return c.final ? `end of ${names[c.stage] ?? c.stage}` : `${names[c.stage] ?? c.stage} ${c.stage === 'ppo' ? 'iteration' : 'step'} ${c.step}`;
}

/** A run started from an imported model, in words. */
export function importedText(imported: { source: string; skipped: string[] }): string {
  const names: Record<string, string> = { pretrain: 'pretraining', sft: 'SFT', rm: 'the reward model', ppo: 'PPO' };
  const skipped = imported.skipped.map((s) => names[s] ?? s);
  return `Started from the imported model ${imported.source}: ${skipped.join(' and ')} ${skipped.length === 1 ? 'was' : 'were'} skipped.`;
}

/** Words for the stages a run can be re-run from (and the evaluation). */
export const STAGE_TITLES: Record<string, string> = { pretrain: 'pretraining', sft: 'SFT', rm: 'the reward model', ppo: 'PPO', eval: 'the evaluation' };

/** A fork, in words ('' when the run is not one, or its record says so in a form that cannot be read). */
export function forkedText(forkedFrom: unknown): string {
  const f = forkedFromOf(forkedFrom);
  if (f?.policy)
    return (
      `Judges the policy imported from ${f.policy} against “${f.runName}”: ` +
      'that run’s evaluation (same seed, test prompts and held-out labelers) with its PPO policy replaced.'
    );
  return f ? `Forked from “${f.runName}” at ${STAGE_TITLES[f.stage]}: the stages before it are that run’s.` : '';
}
