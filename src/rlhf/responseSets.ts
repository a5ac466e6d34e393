import type { GPT } from '../model/gpt';
import { generateEach } from '../train/dataParallel';
import { BOS, decode, encode } from '../model/tokenizer';
import type { Task } from '../tasks/types';
import type { Rng } from '../util/rng';
import type { RewardConfig } from './config';
import type { SequenceLayout } from './sequences';

/** Rows per generation call when sampling the responses to rank. */
const SAMPLE_ROWS = 128;

/**
 * K distinct responses per prompt to be ranked. 'samples': sampled from the SFT model (temperature
 * 1) — the paper's setting, where labelers rank model outputs, and the one that teaches the RM to
 * tell the policy's own answers apart; 'mixed': half SFT samples, the rest from the task's
 * candidate generator (answers of varied quality); 'candidates': all from the generator. No labeler
 * can order two equal texts, so where SFT gives fewer than K distinct answers (a confident model
 * often repeats itself) the set is topped up with candidates; `sampled` counts the SFT samples
 * (the report's rm.sampled_share).
 */
export async function responseSets(
  sft: GPT,
  task: Task,
  prompts: string[],
  K: number,
  source: RewardConfig['responses'],
  layout: SequenceLayout,
  rng: Rng,
  rows = SAMPLE_ROWS,
) {
  const fromModel = source === 'samples' ? K : source === 'mixed' ? Math.ceil(K / 2) : 0;
  const samples: string[][] = prompts.map(() => []);
  // One generation row per (prompt, sample), in batches of `rows`: a decode step costs ~1/3 as
  // much per row at 128 rows as at 32 (BENCHMARKS.md, "generation").
  // Each chunk has its own seed, so chunks are independent: on wasm with 2 workers they alternate
  // between the two (train/dataParallel.ts generateEach), with the same samples.
  const owners = prompts.flatMap((_, i) => Array<number>(fromModel).fill(i));
  const parts: number[][] = [];
  for (let r = 0; r < owners.length; r += rows) parts.push(owners.slice(r, r + rows));
  const jobs = parts.map((part) => ({
    prompts: part.map((i) => [BOS, ...encode(prompts[i])]),
    opts: { temperature: 1, topK: 0, topP: 1, maxNewTokens: layout.R, seed: rng.int(2 ** 31), useCache: true },
  }));
  (await generateEach(sft, jobs)).forEach((g, p) => g.tokens.forEach((t, j) => samples[parts[p][j]].push(decode(t))));
  return prompts.map((prompt, i) => {
    const responses = [...new Set(samples[i])];
    const sampled = responses.length;
    for (let tries = 0; responses.length < K && tries < 5; tries++) {
      for (const c of task.candidates(prompt, rng, K)) if (responses.length < K && !responses.includes(c)) responses.push(c);
    }
    while (responses.length < K) responses.push(task.candidates(prompt, rng, 1)[0]); // rare: allow a repeat
    return { prompt, responses, sampled };
  });
}
