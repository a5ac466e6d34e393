/**
 * The grammar of the `instructions` task (instructions.ts): the five instructions, their prompt text
 * (formatInstruction / parseInstruction), the right answer (solveInstruction), a random instruction,
 * and the wrong answers a poor model gives (corruptAnswer). Arguments use the letters a..f and the
 * digits 1..9.
 */
import type { Rng } from '../util/rng';

export const LETTERS = 'abcdef';
export const DIGITS = '123456789';

type InstructionKind = 'reverse' | 'upper' | 'sort' | 'count' | 'repeat';
const INSTRUCTION_KINDS: readonly InstructionKind[] = ['reverse', 'upper', 'sort', 'count', 'repeat'];

export interface Instruction {
  kind: InstructionKind;
  /** letters for reverse/upper/count/repeat; digits joined by single spaces for sort */
  arg: string;
  /** count: the letter to count */
  letter?: string;
  /** repeat: how many copies */
  times?: number;
}

/** The prompt of an instruction, as the model sees it ("reverse: abc\n"). */
export function formatInstruction(ins: Instruction): string {
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

/** Parses a prompt made by formatInstruction; null for anything else. */
export function parseInstruction(prompt: string): Instruction | null {
  let m: RegExpMatchArray | null;
  if ((m = prompt.match(/^reverse: ([a-z]+)\n$/))) return { kind: 'reverse', arg: m[1] };
  if ((m = prompt.match(/^upper: ([a-z]+)\n$/))) return { kind: 'upper', arg: m[1] };
  if ((m = prompt.match(/^sort: (\d(?: \d)*)\n$/))) return { kind: 'sort', arg: m[1] };
  if ((m = prompt.match(/^count ([a-z]): ([a-z]+)\n$/))) return { kind: 'count', letter: m[1], arg: m[2] };
  if ((m = prompt.match(/^repeat (\d): ([a-z]+)\n$/))) return { kind: 'repeat', times: Number(m[1]), arg: m[2] };
  return null;
}

/** The correct answer. */
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

/** n characters drawn from the alphabet. */
export function letters(rng: Rng, n: number, alphabet = LETTERS): string {
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick([...alphabet]);
  return s;
}

/** A random instruction: reverse/upper 2-4 letters, sort 3-4 digits, count 3-5 letters, repeat 1-2 letters 2-3 times. */
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

/** A plausible wrong answer of the kind a poor model gives. */
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
