/** Text helpers shared by the tasks: the limits, string distances and the packing of pretraining documents. */
import type { Rng } from '../util/rng';

/** Longest prompt a task emits (characters, including the trailing '\n' if any). */
export const MAX_PROMPT_CHARS = 24;
/** Longest pretraining document a task emits (fits a context of 64 tokens). */
export const MAX_DOC_CHARS = 64;

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Levenshtein edit distance (unit costs). */
function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** 1 - edit distance / longer length, in [0, 1]; 1 for two empty strings. */
export function similarity(a: string, b: string): number {
  const m = Math.max(a.length, b.length);
  return m === 0 ? 1 : 1 - levenshtein(a, b) / m;
}

/** True if a and b hold the same characters with the same multiplicities. */
export function sameMultiset(a: string, b: string): boolean {
  return a.length === b.length && [...a].sort().join('') === [...b].sort().join('');
}

/** True if every char of s occurs in alphabet. */
export function onlyChars(s: string, alphabet: string): boolean {
  for (const ch of s) if (!alphabet.includes(ch)) return false;
  return true;
}

/**
 * One pretraining document: pieces from `next` (given the document so far; null to draw again)
 * appended until the next one would pass MAX_DOC_CHARS, or after any piece with chance `stop`.
 * Never empty: a piece too long for an empty document is drawn again.
 */
export function packDocument(rng: Rng, stop: number, next: (doc: string) => string | null): string {
  let doc = '';
  for (;;) {
    const piece = next(doc);
    if (piece === null) continue;
    if (doc.length + piece.length > MAX_DOC_CHARS) {
      if (doc.length === 0) continue;
      break;
    }
    doc += piece;
    if (rng.chance(stop)) break;
  }
  return doc;
}
