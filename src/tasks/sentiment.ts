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
 *
 * The words (openings, adjectives, the response grammar) are sentimentLexicon.ts; the labelers'
 * rubric is sentimentRubric.ts.
 */
import type { Rng } from '../util/rng';
import type { PromptCounts, PromptSplits, Task } from './types';
import { MAX_DOC_CHARS, MAX_PROMPT_CHARS, packDocument } from './text';
import { CORE_GROUPS, INTENSIFIERS, MAX_RESPONSE, NEGATIVE, NEUTRAL, POSITIVE, SENTIMENT_PROMPTS, TAIL_NEG, TAIL_POS } from './sentimentLexicon';
import { SENTIMENT_PARTS, scoreSentiment } from './sentimentRubric';

const LARGEST_GROUP = Math.max(...CORE_GROUPS.map((g) => g.length));
/**
 * Prompts any split counts may ask for: whole core groups fill each of the three splits, so up to
 * one group per split is left unused.
 */
const CAPACITY = SENTIMENT_PROMPTS.length - 3 * LARGEST_GROUP;

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
