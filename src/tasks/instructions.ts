/**
 * `instructions`: five tiny string-manipulation instructions a char-level GPT
 * can learn in minutes.
 *
 *   reverse: abc\n      → cba
 *   upper: abc\n        → ABC
 *   sort: 3 1 2\n       → 1 2 3
 *   count a: abaca\n    → 3
 *   repeat 3: ab\n      → ababab
 *
 * Arguments use the letters a..f and the digits 1..9 (short: 2-4 letters, 3-4 digits), so a
 * model of ~100k parameters can learn them in a few hundred steps. D_pretrain holds runs of
 * "prompt\nanswer\n" examples whose answers are right only part of the time,
 * so the base LM learns the format but is a poor follower (and keeps going
 * after its answer); SFT and RLHF have room to improve it.
 *
 * The instructions themselves (prompts, answers, wrong answers) are instructionGrammar.ts; the
 * labelers' rubric is instructionRubric.ts.
 */
import type { Rng } from '../util/rng';
import type { PromptCounts, PromptSplits, Task } from './types';
import { DIGITS, LETTERS, corruptAnswer, formatInstruction, letters, parseInstruction, randomInstruction, solveInstruction } from './instructionGrammar';
import { INSTRUCTION_PARTS, scoreInstruction } from './instructionRubric';
import { MAX_DOC_CHARS, packDocument } from './text';

const MAX_RESPONSE = 16;
const MAX_PROMPT = 16; // "count a: abcdef\n", "sort: 1 2 3 4 5\n"
/** A lower bound on the distinct prompts: reverse/upper 6^2..6^4 each, sort 9^3..9^4, repeat 2·(6+36), count ≥ 1000. */
const CAPACITY = 2 * (36 + 216 + 1296) + (729 + 6561) + 2 * (6 + 36) + 1000;

/** What a demonstrator sometimes adds after the answer (the rubric's "concise" part counts it). */
const CHATTY_TAILS = ['hope it helps', 'glad to help', 'here you go', 'anything else?', 'done!', 'easy one'] as const;

function garbage(rng: Rng, n: number): string {
  const chars = LETTERS + DIGITS + ' :';
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick([...chars]);
  return s;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

export const instructionsTask: Task = {
  name: 'instructions',
  title: 'Follow instructions',
  description:
    'Tiny string instructions: reverse, upper-case, sort digits, count a letter, repeat. ' +
    'The base model has seen the format with answers that are often wrong and keeps writing ' +
    'after its answer; labelers reward correct, well-formed answers that stop.',
  maxResponseLength: MAX_RESPONSE,
  maxPromptLength: MAX_PROMPT,
  maxDocLength: MAX_DOC_CHARS,
  promptCapacity: CAPACITY,
  scoreParts: INSTRUCTION_PARTS,

  pretrainCorpus(rng: Rng, n: number, held: readonly string[] = []): string[] {
    const heldSet = new Set(held);
    const docs: string[] = [];
    for (let d = 0; d < n; d++) {
      if (rng.chance(0.12)) {
        // raw text in the task's alphabet
        const words: string[] = [];
        const len = rng.range(16, MAX_DOC_CHARS - 4);
        while (words.join(' ').length < len) {
          words.push(rng.chance(0.3) ? letters(rng, rng.range(1, 5), DIGITS) : letters(rng, rng.range(2, 6)));
        }
        docs.push(clip(words.join(' '), MAX_DOC_CHARS - 1) + '\n');
        continue;
      }
      docs.push(
        packDocument(rng, 0.25, () => {
          const ins = randomInstruction(rng);
          if (heldSet.has(formatInstruction(ins))) return null; // evaluation prompts are never pretrained on
          const answer = rng.chance(0.6) ? solveInstruction(ins) : corruptAnswer(ins, rng);
          return formatInstruction(ins) + answer + '\n';
        }),
      );
    }
    return docs;
  },

  prompts(rng: Rng, counts: PromptCounts): PromptSplits {
    const total = counts.train + counts.val + counts.test;
    if (total > CAPACITY) throw new RangeError(`instructions: asked for ${total} prompts, at most ${CAPACITY}`);
    const seen = new Set<string>();
    const all: string[] = [];
    let tries = 0;
    while (all.length < total) {
      if (++tries > total * 50 + 1000) throw new RangeError(`instructions: could not draw ${total} distinct prompts`);
      const p = formatInstruction(randomInstruction(rng));
      if (seen.has(p)) continue;
      seen.add(p);
      all.push(p);
    }
    // test first, then val, then train: a split does not move when a later one's count changes
    // (a run with more RM prompts is evaluated on the same prompts).
    return {
      test: all.slice(0, counts.test),
      val: all.slice(counts.test, counts.test + counts.val),
      train: all.slice(counts.test + counts.val),
    };
  },

  demonstrate(prompt: string): string {
    const ins = parseInstruction(prompt);
    if (!ins) throw new Error(`instructions: not an instruction prompt: ${JSON.stringify(prompt)}`);
    return solveInstruction(ins);
  },

  slip(_prompt: string, demonstration: string, rng: Rng): string {
    return clip(demonstration + '\n' + rng.pick(CHATTY_TAILS), MAX_RESPONSE - 1);
  },

  score: scoreInstruction,

  candidates(prompt: string, rng: Rng, k: number): string[] {
    const ins = parseInstruction(prompt);
    if (!ins) throw new Error(`instructions: not an instruction prompt: ${JSON.stringify(prompt)}`);
    const target = solveInstruction(ins);
    const out: string[] = [];
    for (let i = 0; i < k; i++) {
      const r = rng.next();
      let s: string;
      if (r < 0.3) s = target;
      else if (r < 0.65) s = corruptAnswer(ins, rng);
      else if (r < 0.85) {
        // rambling: an answer, then the prompt again (what the base LM does: it keeps writing
        // examples). The prompt itself, never another one: a candidate must not carry the text of
        // an evaluation prompt into training data.
        const head = rng.chance(0.6) ? target : corruptAnswer(ins, rng);
        s = head + '\n' + prompt + (rng.chance(0.5) ? corruptAnswer(ins, rng) : '');
      } else if (r < 0.93) s = garbage(rng, rng.range(1, 8));
      else s = target.slice(0, rng.int(target.length));
      out.push(clip(s, MAX_RESPONSE));
    }
    return out;
  },
};
