/**
 * The `generate` benchmark: batched sampling with the KV cache at the app's real shapes.
 *
 *   decodeEntry(B)   preset tiny, B prompts of 10-17 tokens (BOS + 9..16 random characters),
 *                    up to 16 new tokens, temperature 1, top-k/top-p off, rows stop at EOS.
 *                    ms per decode step = (time of 16 new tokens − time of 1 new token) / 15, medians of
 *                    alternating runs; prefill_ms = the time of 1 new token (prefill + first sample).
 */
import { GPT } from '../../src/model/gpt';
import { PRESETS } from '../../src/model/config';
import { generate } from '../../src/model/generate';
import { Rng } from '../../src/util/rng';
import { BOS } from '../../src/model/tokenizer';
import { median } from './median';

/** B prompts of 10-17 tokens: BOS + 9..16 random printable ids (deterministic). */
export function realPrompts(B: number, vocab: number, seed = 9): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: B }, () => [BOS, ...Array.from({ length: 9 + rng.int(8) }, () => 5 + rng.int(vocab - 5))]);
}

export interface DecodeVariant {
  name: string;
  /** called before each run of this variant (e.g. to switch a kernel setting) */
  setup?: () => void;
}

export async function decodeEntry(B: number, reps = 5, newTokens = 16, variants: DecodeVariant[] = [{ name: 'current' }]): Promise<Record<string, unknown>> {
  const cfg = { ...PRESETS.tiny };
  const model = GPT.create(cfg, 3);
  const prompts = realPrompts(B, cfg.vocabSize);
  const opts = { temperature: 1, topK: 0, topP: 1, seed: 1, useCache: true };
  const run = async (maxNewTokens: number) => {
    const t0 = performance.now();
    const g = await generate(model, prompts, { ...opts, maxNewTokens });
    return { ms: performance.now() - t0, tokens: g.tokens };
  };
  const results: Record<string, unknown> = {};
  const times = variants.map(() => ({ one: [] as number[], full: [] as number[], generated: 0, tokens: [] as number[][] }));
  try {
    for (const v of variants) {
      v.setup?.();
      await run(newTokens); // compile
    }
    for (let r = 0; r < reps; r++) {
      for (const [i, v] of variants.entries()) {
        v.setup?.();
        const one = await run(1);
        const full = await run(newTokens);
        times[i].one.push(one.ms);
        times[i].full.push(full.ms);
        times[i].generated = full.tokens.reduce((a, row) => a + row.length, 0);
        times[i].tokens = full.tokens;
      }
    }
  } finally {
    variants[0].setup?.();
    model.dispose();
  }
  for (const [i, v] of variants.entries()) {
    const t = times[i];
    const perStep = t.full.map((f, k) => (f - t.one[k]) / (newTokens - 1));
    results[v.name] = {
      ms_per_decode_step: median(perStep),
      prefill_ms: median(t.one),
      generate_ms: median(t.full),
      steps_ms: perStep.map((x) => Math.round(x * 10) / 10),
      generated_tokens: t.generated,
    };
  }
  if (variants.length > 1) results.same_tokens = times.every((t) => JSON.stringify(t.tokens) === JSON.stringify(times[0].tokens));
  return { batch: B, new_tokens: newTokens, preset: 'tiny', prompt_tokens: '10-17', temperature: 1, reps, ...results };
}
