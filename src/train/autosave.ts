/**
 * Mid-stage autosave of pretraining and SFT: how often, and what values are allowed. Pure (no
 * tfjs), so the page can check the setting without loading the training code.
 */

/** Default interval in steps. A checkpoint holds the weights and AdamW's two moments (3× the model): every 200 steps costs little time. */
export const LM_CHECKPOINT_EVERY = 200;
const LM_CHECKPOINT_MAX = 100_000;

/** Why a typed interval cannot be used ('' when it can); 0 turns mid-stage autosave off. */
export function autosaveProblem(text: string): string {
  const t = text.trim();
  if (t === '') return 'Enter a number of steps (0 turns it off).';
  const n = Number(t);
  if (!Number.isInteger(n)) return `“${t}” is not a whole number of steps.`;
  if (n < 0 || n > LM_CHECKPOINT_MAX) return `Must be between 0 and ${LM_CHECKPOINT_MAX.toLocaleString('en')} steps.`;
  return '';
}
