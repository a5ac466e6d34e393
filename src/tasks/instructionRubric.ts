/** The rubric of the `instructions` task (instructions.ts): the noise-free score the simulated labelers read. */
import type { Score } from './types';
import { parseInstruction, solveInstruction, type Instruction } from './instructionGrammar';
import { clamp01, onlyChars, sameMultiset, similarity } from './text';

export const INSTRUCTION_PARTS = ['correct', 'format', 'concise', 'length'] as const;

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
