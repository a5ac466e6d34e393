import type { JudgedPolicy, PipelineReport } from '../rlhf/pipelineTypes';

/**
 * A judge run's report as a table: SFT, the run's own PPO policy (from the run's evaluation, kept in
 * the report) and the imported policy (this evaluation), row by row. Pure.
 */
export interface JudgeRow {
  key: 'score' | 'winrate' | 'loss' | 'tax';
  label: string;
  sft: string;
  run: string;
  imported: string;
}

const num = (x: number | undefined, d = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');
const signed = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}` : '–');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function winrate(w: number | undefined, ci: [number, number] | undefined): string {
  if (typeof w !== 'number' || !Number.isFinite(w)) return '–';
  return ci && ci.every(Number.isFinite) ? `${pct(w)} (${pct(ci[0])}–${pct(ci[1])})` : pct(w);
}

export function judgeColumns(
  report: PipelineReport,
  judged: JudgedPolicy,
): { rows: JudgeRow[]; samples: { prompt: string; sft: string; run: string; imported: string }[]; note: string } {
  const own = report.eval;
  const theirs = judged.run_eval;
  const rows: JudgeRow[] = [
    {
      key: 'score',
      label: 'Labeler score (held-out labelers, mean)',
      sft: num(own.labeler_score.sft),
      run: num(theirs?.labeler_score.ppo),
      imported: num(own.labeler_score.ppo),
    },
    {
      key: 'winrate',
      label: 'Preferred to SFT (95% interval)',
      sft: '—',
      run: winrate(theirs?.winrate_ppo_vs_sft, theirs?.winrate_ci95),
      imported: winrate(own.winrate_ppo_vs_sft, own.winrate_ci95),
    },
    {
      key: 'loss',
      label: 'Held-out pretraining loss',
      sft: num(own.pretrain_loss.sft),
      run: num(theirs?.pretrain_loss.ppo),
      imported: num(own.pretrain_loss.ppo),
    },
    {
      key: 'tax',
      label: 'Alignment tax (loss above SFT’s)',
      sft: '—',
      run: theirs ? signed(theirs.pretrain_loss.ppo - theirs.pretrain_loss.sft) : '–',
      imported: signed(own.pretrain_loss.ppo - own.pretrain_loss.sft),
    },
  ];
  const samples = own.samples.map((s, i) => ({
    prompt: s.prompt,
    sft: s.sft,
    run: theirs?.samples[i]?.prompt === s.prompt ? theirs.samples[i].ppo : '–',
    imported: s.ppo,
  }));
  let note = '';
  if (!theirs) note = `“${judged.run_name}” has no evaluation of its own (it stopped before it): its column is empty. Judge its own policy to fill it.`;
  else if (theirs.labeler_score.sft !== own.labeler_score.sft)
    note =
      `SFT scored ${num(theirs.labeler_score.sft)} in the run’s own evaluation and ${num(own.labeler_score.sft)} here: the same seed samples slightly ` +
      `different answers on another compute backend (this evaluation ran on ${report.backend}).`;
  return { rows, samples, note };
}
