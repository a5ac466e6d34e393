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
 */
import type { Rng } from '../util/rng';
import type { PromptCounts, PromptSplits, Score, Task } from './types';
import { MAX_DOC_CHARS, clamp01, onlyChars, packDocument, sameMultiset, similarity } from './text';

const LETTERS = 'abcdef';
const DIGITS = '123456789';

type InstructionKind = 'reverse' | 'upper' | 'sort' | 'count' | 'repeat';
/** @internal test seam: tested on its own (the task generator and labelers are built from it) */
export const INSTRUCTION_KINDS: readonly InstructionKind[] = ['reverse', 'upper', 'sort', 'count', 'repeat'];

interface Instruction {
  kind: InstructionKind;
  /** letters for reverse/upper/count/repeat; digits joined by single spaces for sort */
  arg: string;
  /** count: the letter to count */
  letter?: string;
  /** repeat: how many copies */
  times?: number;
}

const MAX_RESPONSE = 16;
const MAX_PROMPT = 16; // "count a: abcdef\n", "sort: 1 2 3 4 5\n"
/** A lower bound on the distinct prompts: reverse/upper 6^2..6^4 each, sort 9^3..9^4, repeat 2·(6+36), count ≥ 1000. */
const CAPACITY = 2 * (36 + 216 + 1296) + (729 + 6561) + 2 * (6 + 36) + 1000;

function formatInstruction(ins: Instruction): string {
  switch (ins.kind) {
    case 'reverse':
      return `reverse: ${ins.arg}\n`;
    case 'upper':
      return `upper: ${ins.arg}\n`;
    case 'sort':
      return `sort: ${ins.arg}\n`;
    case 'count':
      return `count ${ins.letter}: ${ins.arg}\n`;
    case 'repeat':
      return `repeat ${ins.times}: ${ins.arg}\n`;
  }
}

/**
 * Parses a prompt made by formatInstruction; null for anything else.
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export function parseInstruction(prompt: string): Instruction | null {
  let m: RegExpMatchArray | null;
  if ((m = prompt.match(/^reverse: ([a-z]+)\n$/))) return { kind: 'reverse', arg: m[1] };
  if ((m = prompt.match(/^upper: ([a-z]+)\n$/))) return { kind: 'upper', arg: m[1] };
  if ((m = prompt.match(/^sort: (\d(?: \d)*)\n$/))) return { kind: 'sort', arg: m[1] };
  if ((m = prompt.match(/^count ([a-z]): ([a-z]+)\n$/))) return { kind: 'count', letter: m[1], arg: m[2] };
  if ((m = prompt.match(/^repeat (\d): ([a-z]+)\n$/))) return { kind: 'repeat', times: Number(m[1]), arg: m[2] };
  return null;
}

/**
 * The correct answer.
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export function solveInstruction(ins: Instruction): string {
  switch (ins.kind) {
    case 'reverse':
      return [...ins.arg].reverse().join('');
    case 'upper':
      return ins.arg.toUpperCase();
    case 'sort':
      return ins.arg.split(' ').sort().join(' ');
    case 'count':
      return String([...ins.arg].filter((c) => c === ins.letter).length);
    case 'repeat':
      return ins.arg.repeat(ins.times ?? 1);
  }
}

function letters(rng: Rng, n: number, alphabet = LETTERS): string {
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick([...alphabet]);
  return s;
}

/** @internal test seam: tested on its own (the task generator and labelers are built from it) */
export function randomInstruction(rng: Rng): Instruction {
  const kind = rng.pick(INSTRUCTION_KINDS);
  switch (kind) {
    case 'reverse':
    case 'upper':
      return { kind, arg: letters(rng, rng.range(2, 4)) };
    case 'sort': {
      const n = rng.range(3, 4);
      const ds: string[] = [];
      for (let i = 0; i < n; i++) ds.push(rng.pick([...DIGITS]));
      return { kind, arg: ds.join(' ') };
    }
    case 'count': {
      // Draw the word from a 2-3 letter sub-alphabet so counts above 1 are common.
      const sub = rng
        .shuffle([...LETTERS])
        .slice(0, rng.range(2, 3))
        .join('');
      const arg = letters(rng, rng.range(3, 5), sub);
      const letter = rng.chance(0.85) ? rng.pick([...sub]) : rng.pick([...LETTERS]);
      return { kind, arg, letter };
    }
    case 'repeat':
      return { kind, arg: letters(rng, rng.range(1, 2)), times: rng.range(2, 3) };
  }
}

/**
 * A plausible wrong answer of the kind a poor model gives.
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export function corruptAnswer(ins: Instruction, rng: Rng): string {
  const target = solveInstruction(ins);
  const r = rng.int(4);
  switch (ins.kind) {
    case 'reverse':
      if (r === 0) return ins.arg; // echo
      if (r === 1) return rng.shuffle([...ins.arg]).join('');
      if (r === 2) return substitute(target, rng, LETTERS);
      return target.slice(0, Math.max(1, target.length - 1));
    case 'upper':
      if (r === 0) return ins.arg; // echo
      if (r === 1) return [...ins.arg].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
      if (r === 2) return substitute(target, rng, LETTERS.toUpperCase());
      return [...target].reverse().join('');
    case 'sort': {
      const ds = ins.arg.split(' ');
      if (r === 0) return ins.arg; // echo
      if (r === 1) return [...ds].sort().reverse().join(' ');
      if (r === 2) {
        const s = [...ds].sort();
        s[rng.int(s.length)] = rng.pick([...DIGITS]);
        return s.join(' ');
      }
      return [...ds]
        .sort()
        .slice(0, ds.length - 1)
        .join(' ');
    }
    case 'count': {
      const n = Number(target);
      if (r === 0) return String(n + 1);
      if (r === 1) return String(Math.max(0, n === 0 ? 1 : n - 1));
      if (r === 2) return String(ins.arg.length);
      return String(rng.int(7));
    }
    case 'repeat': {
      const t = ins.times ?? 2;
      if (r === 0) return ins.arg.repeat(t + 1);
      if (r === 1) return ins.arg.repeat(Math.max(1, t - 1));
      if (r === 2) return ins.arg;
      return substitute(target, rng, LETTERS);
    }
  }
}

function substitute(s: string, rng: Rng, alphabet: string): string {
  if (s.length === 0) return rng.pick([...alphabet]);
  const i = rng.int(s.length);
  const others = [...alphabet].filter((c) => c !== s[i]);
  return s.slice(0, i) + rng.pick(others) + s.slice(i + 1);
}

function garbage(rng: Rng, n: number): string {
  const chars = LETTERS + DIGITS + ' :';
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick([...chars]);
  return s;
}

const INSTRUCTION_PARTS = ['correct', 'format', 'concise', 'length'] as const;
/** What a demonstrator sometimes adds after the answer (the rubric's "concise" part counts it). */
const CHATTY_TAILS = ['hope it helps', 'glad to help', 'here you go', 'anything else?', 'done!', 'easy one'] as const;

const WEIGHTS = { correct: 0.5, format: 0.1, concise: 0.3, length: 0.1 };

function formatScore(ins: Instruction, answer: string): number {
  if (answer.length === 0) return 0;
  switch (ins.kind) {
    case 'reverse':
      return sameMultiset(answer, ins.arg) ? 1 : onlyChars(answer, ins.arg) ? 0.5 : 0;
    case 'upper': {
      const up = [...answer].filter((c) => c >= 'A' && c <= 'Z').length / answer.length;
      return up === 1 ? 1 : 0.5 * up;
    }
    case 'sort':
      if (!/^\d( \d)*$/.test(answer)) return 0;
      return sameMultiset(answer.replace(/ /g, ''), ins.arg.replace(/ /g, '')) ? 1 : 0.5;
    case 'count':
      return /^\d+$/.test(answer) ? 1 : 0;
    case 'repeat':
      if (answer.length % ins.arg.length === 0 && answer === ins.arg.repeat(answer.length / ins.arg.length)) return 1;
      return onlyChars(answer, ins.arg) ? 0.5 : 0;
  }
}

/**
 * The rubric. The answer is the response's first line; anything after it is
 * rambling.
 *   correct (0.5): 1 if exact; count: 0.4 if off by one; else 0.7 × (1 - edit distance / longer length)
 *   format  (0.1): the answer has the right shape (a permutation of the letters, all caps, sorted-digit syntax, a number, whole copies)
 *   concise (0.3): 1 - extra chars after the answer / 10 (0 for an empty answer)
 *   length  (0.1): 1 - |answer length - target length| / max(target length, 2)
 * "Stop after the answer" weighs heavily: it is the instruction the labelers care most about
 * after correctness, and the habit (Task.slip) that demonstrations carry and rankings correct.
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export function scoreInstruction(prompt: string, response: string): Score {
  const ins = parseInstruction(prompt);
  const parts: Record<string, number> = { correct: 0, format: 0, concise: 0, length: 0 };
  if (!ins) return { total: 0, parts };
  const target = solveInstruction(ins);
  const nl = response.indexOf('\n');
  const answer = nl < 0 ? response : response.slice(0, nl);
  const extra = response.length - answer.length;

  if (answer === target) parts.correct = 1;
  else if (answer.length === 0) parts.correct = 0;
  else if (ins.kind === 'count') parts.correct = /^\d+$/.test(answer) && Math.abs(Number(answer) - Number(target)) === 1 ? 0.4 : 0;
  else parts.correct = 0.7 * similarity(answer, target);

  parts.format = formatScore(ins, answer);
  parts.concise = answer.length === 0 ? 0 : clamp01(1 - extra / 10);
  parts.length = answer.length === 0 ? 0 : clamp01(1 - Math.abs(answer.length - target.length) / Math.max(target.length, 2));

  let total = 0;
  for (const k of INSTRUCTION_PARTS) total += WEIGHTS[k] * parts[k];
  return { total, parts };
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
