/**
 * Character-level tokenizer for small models.
 *
 * Vocabulary (100 ids): 4 specials, then '\n', then printable ASCII 32..126.
 *   0 PAD  – fills batches to a fixed length; never predicted (its loss is masked)
 *   1 BOS  – starts every sequence
 *   2 EOS  – ends a response; generation stops at it
 *   3 UNK  – any character outside the alphabet (decodes to '?')
 * A fixed alphabet (rather than one learned from the corpus) keeps ids identical across tasks,
 * runs and exported checkpoints, so a link or a safetensors file always means the same thing.
 */
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
const FIRST_CHAR_ID = 4;

const alphabet: string[] = ['\n'];
for (let c = 32; c <= 126; c++) alphabet.push(String.fromCharCode(c));

const idOf = new Map<string, number>(alphabet.map((ch, i) => [ch, FIRST_CHAR_ID + i]));

export const VOCAB_SIZE = FIRST_CHAR_ID + alphabet.length; // 100

export const SPECIAL_NAMES: Record<number, string> = { [PAD]: '<pad>', [BOS]: '<bos>', [EOS]: '<eos>', [UNK]: '<unk>' };

/** text → ids (no specials added). Characters outside the alphabet become UNK. */
export function encode(text: string): number[] {
  const ids: number[] = [];
  for (const ch of text) ids.push(idOf.get(ch) ?? UNK);
  return ids;
}

/** ids → text. PAD/BOS are dropped, decoding stops at the first EOS, UNK shows as '?'. */
export function decode(ids: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === EOS) break;
    if (id === PAD || id === BOS) continue;
    out += id === UNK ? '?' : (alphabet[id - FIRST_CHAR_ID] ?? '?');
  }
  return out;
}

/** One token as display text (specials by name), for per-token views. */
export function tokenText(id: number): string {
  return SPECIAL_NAMES[id] ?? alphabet[id - FIRST_CHAR_ID] ?? '?';
}

/** The vocabulary in id order, for exports (HF-style vocab.json maps token → id). */
export function vocabulary(): Record<string, number> {
  const v: Record<string, number> = {};
  for (const [id, name] of Object.entries(SPECIAL_NAMES)) v[name] = Number(id);
  alphabet.forEach((ch, i) => (v[ch] = FIRST_CHAR_ID + i));
  return v;
}
