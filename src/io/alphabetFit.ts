import { encode, UNK } from '../model/tokenizer';

/**
 * Does a dataset row survive the tokenizer? The model reads characters outside its alphabet
 * (printable ASCII and newline) as one `<unk>` token each, so `"café"` and `"cafè"` are the same
 * text to it: a preference between them, or a ranking of `["日本", "中国", "한국"]`, asks the model
 * to learn what it cannot see. Such rows are refused (jsonl.ts `validateRow`); text that merely
 * loses characters is accepted with a warning naming the field and the characters. Pure.
 */

const MAX_LISTED = 8;

/** The characters of `text` the tokenizer does not know, each once, in order of appearance. */
function unknownCharacters(text: string): string[] {
  if (!encode(text).includes(UNK)) return []; // the common case: one pass, no per-character work
  const seen = new Set<string>();
  for (const ch of text) {
    if (encode(ch)[0] === UNK) seen.add(ch);
    if (seen.size > MAX_LISTED) break;
  }
  return [...seen];
}

/** `"é" (U+00E9), "è" (U+00E8)` — characters as a user can find them in their file. */
function describeCharacters(chars: string[]): string {
  const shown = chars.slice(0, MAX_LISTED).map((ch) => `${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`);
  return shown.join(', ') + (chars.length > MAX_LISTED ? ', …' : '');
}

/**
 * The responses of a pair or ranking (best first) that the model cannot tell from an earlier one:
 * the first such item's index and the earlier one's, or null when every response differs.
 */
export function collidingResponses(responses: readonly string[]): { index: number; sameAs: number } | null {
  // Only text with an unknown character can collide; ids are compared as strings, one encode per item.
  if (responses.every((r) => unknownCharacters(r).length === 0)) return null;
  const seen = new Map<string, number>();
  for (let i = 0; i < responses.length; i++) {
    const key = encode(responses[i]).join(',');
    const j = seen.get(key);
    if (j !== undefined && responses[i] !== responses[j]) return { index: i, sameAs: j };
    if (j === undefined) seen.set(key, i);
  }
  return null;
}

/** Why two different texts are the same to the model, for the problem message. */
export function collisionReason(a: string, b: string): string {
  const chars = [...new Set([...unknownCharacters(a), ...unknownCharacters(b)])];
  return (
    'the model reads characters outside its alphabet (printable ASCII and newline) as one <unk> each, ' +
    `here ${describeCharacters(chars)}, so it could not see the difference`
  );
}

/** Fields of a valid row whose text loses characters to `<unk>`: the field and what is lost. */
export function lossyFields(row: Record<string, unknown>): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const check = (field: string, text: unknown): void => {
    if (typeof text !== 'string') return;
    const chars = unknownCharacters(text);
    if (chars.length) out.push({ field, message: `has characters the model cannot read (each becomes <unk>): ${describeCharacters(chars)}` });
  };
  for (const key of ['prompt', 'completion', 'chosen', 'rejected']) check(key, row[key]);
  if (Array.isArray(row.ranking)) row.ranking.forEach((item, i) => check(`ranking[${i}]`, item));
  return out;
}
