/** The rubric of the `sentiment` task (sentiment.ts): the noise-free score the simulated labelers read. */
import type { Score } from './types';
import { clamp01 } from './text';
import { FUNCTION_WORDS, INTENSIFIERS, KNOWN, MAX_RESPONSE, RESPONSE_TEMPLATE, afinnValence } from './sentimentLexicon';

function tokens(s: string): string[] {
  return s.split(/[\s.,!?]+/).filter((t) => t.length > 0);
}

export const SENTIMENT_PARTS = ['sentiment', 'fluency', 'known', 'grammar', 'repetition', 'length'] as const;

/**
 * The rubric. total = sentiment × fluency.
 *   sentiment  = σ(v / 2), v = Σ AFINN-165 valence of the response's words ("not w" and "not so w" count -v/2)
 *   fluency    = known × repetition × length × (0.4 + 0.6 × grammar)
 *   known      = fraction of words that are English (task vocabulary or AFINN-165)
 *   grammar    = 1 if the response matches RESPONSE_TEMPLATE (one short sentence, ended), else 0
 *   repetition = distinct / total content words, halved for each immediate word repeat
 *   length     = 0 if empty; min(1, 8 / words) × min(1, 23 / chars)
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
