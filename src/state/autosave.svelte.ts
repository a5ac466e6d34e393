import { LM_CHECKPOINT_EVERY, autosaveProblem } from '../train/autosave';

/**
 * The mid-stage autosave interval of pretraining and SFT that runs started (or resumed) from this
 * page use. Only valid values are stored; a refused one keeps the last good value.
 */
export const autosave = $state({ lmEvery: LM_CHECKPOINT_EVERY });

/** Tries a typed interval: stores it and returns '', or returns why it was refused. */
export function setLmEvery(text: string): string {
  const problem = autosaveProblem(text);
  if (!problem) autosave.lmEvery = Number(text.trim());
  return problem;
}
