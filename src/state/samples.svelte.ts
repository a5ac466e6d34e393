import type { PipelineReport } from '../rlhf/pipeline';
import type { Colouring, TokenScores } from '../worker/protocol';
import { inspection } from './inspection.svelte';
import { request } from './requests';
import { run } from './run.svelte';
import { runById } from './runs.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * The samples view: the report's test prompts answered by base / SFT / PPO, each scored token by
 * token by the loaded models (worker `scoreTokens`), coloured by one of three measures.
 */
export type Answer = 'base' | 'sft' | 'ppo';
export const ANSWERS: { id: Answer; title: string }[] = [
  { id: 'base', title: 'Base' },
  { id: 'sft', title: 'SFT' },
  { id: 'ppo', title: 'PPO' },
];
export type Sample = PipelineReport['eval']['samples'][number];

/** How many of the report's test prompts are scored and shown. */
export const SHOWN = 6;

export const samplesView = $state({
  colour: 'logprob' as Colouring,
  scores: {} as Record<string, TokenScores>,
  busy: false,
  message: '',
});

export const scoreKey = (prompt: string, answer: Answer, text: string): string => `${inspection.generation}\u0000${prompt}\u0000${answer}\u0000${text}`;

/** The report of the run whose models are loaded (the current run's, or its saved record's). */
export function inspectedReport(): PipelineReport | null {
  if (!inspection.runId) return null;
  if (run.runId === inspection.runId && run.report) return run.report;
  return (runById(inspection.runId)?.report as PipelineReport | undefined) ?? null;
}

let scoring = 0;

/** Scores every shown answer not scored yet (one request at a time; the worker answers in order). */
export async function scoreSamples(samples: Sample[]): Promise<void> {
  const mine = ++scoring;
  samplesView.busy = true;
  samplesView.message = '';
  try {
    for (const s of samples.slice(0, SHOWN)) {
      for (const a of ANSWERS) {
        if (mine !== scoring) return;
        const key = scoreKey(s.prompt, a.id, s[a.id]);
        if (samplesView.scores[key]) continue;
        const { type: _t, requestId: _r, ...scores } = await request({ type: 'scoreTokens', prompt: s.prompt, response: s[a.id] });
        samplesView.scores[key] = scores;
      }
    }
  } catch (e) {
    samplesView.message = `The answers could not be scored: ${errorMessage(e)}`;
  } finally {
    if (mine === scoring) samplesView.busy = false;
  }
}
