import type { Rng } from '../util/rng';

/** Names of the built-in tasks, in the order menus list them. */
export const TASK_NAMES = ['instructions', 'sentiment'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export interface PromptCounts {
  train: number;
  val: number;
  test: number;
}

export interface PromptSplits {
  train: string[];
  val: string[];
  test: string[];
}

/** A rubric score: `total` in [0, 1] and its named parts, each in [0, 1]. */
export interface Score {
  total: number;
  parts: Record<string, number>;
}

/**
 * A built-in task: its data (D_pretrain, prompts, demonstrations) and its
 * noise-free rubric, which the simulated labelers read through their noise.
 *
 * Text conventions: every string is printable ASCII (32..126) plus '\n'. A
 * prompt is formatted exactly as the model sees it (e.g. "reverse: abc\n");
 * a response is what follows it (e.g. "cba"). The trainer appends EOS after a
 * response; responses never contain it.
 */
export interface Task {
  name: string;
  /** Short name for the UI. */
  title: string;
  /** One paragraph for the UI. */
  description: string;
  /**
   * Generation budget for a response, in tokens, counting the EOS the trainer
   * appends. Demonstrations are at most `maxResponseLength - 1` chars;
   * `candidates` (like a sampled response that never emitted EOS) at most
   * `maxResponseLength` chars.
   */
  maxResponseLength: number;
  /** Longest prompt, in chars (<= MAX_PROMPT_CHARS). */
  maxPromptLength: number;
  /** Longest pretraining document, in chars (<= MAX_DOC_CHARS). */
  maxDocLength: number;
  /** How many prompts `prompts` can give in all (train + val + test); it throws if asked for more. */
  promptCapacity: number;
  /** Names of the rubric parts, the keys of `score(...).parts`. */
  scoreParts: readonly string[];

  /**
   * D_pretrain: n raw documents for base-LM pretraining and the ptx term. They
   * hold the task's vocabulary and formats without labels, with imperfect
   * answers, so the base LM follows the task plausibly but badly. No document contains the text
   * of a `held` prompt (the evaluation prompts: what is tested is never pretrained on).
   */
  pretrainCorpus(rng: Rng, n: number, held?: readonly string[]): string[];
  /**
   * Distinct prompts split into disjoint train/val/test; deterministic in rng. No test or val prompt
   * is a substring of a prompt of another split.
   */
  prompts(rng: Rng, counts: PromptCounts): PromptSplits;
  /** A labeler's demonstration: a good response to the prompt. */
  demonstrate(prompt: string, rng: Rng): string;
  /**
   * A demonstration as people sometimes write it: the good response plus a habit the rubric
   * dislikes (a chatty line after the answer, a lukewarm aside). InstructGPT's premise is that
   * judging is easier than demonstrating: SFT imitates these slips, the labelers' rankings do not
   * reward them, so the reward model and PPO can improve on SFT. At most `maxResponseLength - 1` chars.
   */
  slip(prompt: string, demonstration: string, rng: Rng): string;
  /** Deterministic, noise-free rubric ("true quality"), total in [0, 1]. */
  score(prompt: string, response: string): Score;
  /**
   * k responses of mixed quality, like samples from a partly trained policy
   * (good answers, near misses, rambling, spam, junk). Used to calibrate the
   * labelers' noise and in tests.
   */
  candidates(prompt: string, rng: Rng, k: number): string[];
}

/** A prompt and the K responses a labeler is asked to rank. */
export interface ResponseSet {
  prompt: string;
  responses: string[];
}
