import type { Colouring, TokenScores } from '../worker/protocol';

/**
 * Per-token colouring of a response (pure, for the samples view):
 * - log-prob: the less likely the policy found the token, the stronger the warm colour (surprise);
 * - KL to SFT (k1 = log π − log π_SFT): warm where the policy moved towards the token, cool where away;
 * - value: warm for V(s) > 0, cool for V(s) < 0, strength |V| / `scale`, where the scale is the
 *   largest |V| among the tokens shown ({@link valueScale}): a small model's values are often all
 *   within ±0.1, which a fixed scale would leave almost white.
 * Returns the side of the scale and a strength in [0, 1] (0 for NaN: no colour).
 */
export interface Shade {
  side: 'pos' | 'neg';
  strength: number;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

export function shade(s: TokenScores, i: number, by: Colouring, scale = 0): Shade {
  if (by === 'logprob') return { side: 'pos', strength: clamp01(-s.logprob[i] / 5) };
  const x = by === 'kl' ? s.klToSft[i] : s.value[i];
  if (by === 'value' && scale > 0) return { side: x < 0 ? 'neg' : 'pos', strength: clamp01(Math.abs(x) / scale) };
  return { side: x < 0 ? 'neg' : 'pos', strength: clamp01(Math.tanh(Math.abs(by === 'kl' ? x / 2 : x))) };
}

/** The value colouring's scale: the largest finite |V| over the responses shown (0 when there is none). */
export function valueScale(shown: readonly TokenScores[]): number {
  let m = 0;
  for (const s of shown) for (const v of s.value) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

/** The legend of a colouring: what the cool end, the middle and the warm end stand for. */
export function legendFor(by: Colouring, scale: number): { neg: string; mid: string; pos: string } {
  if (by === 'logprob') return { neg: '', mid: 'log-prob 0 (certain)', pos: '−5 or less (surprising)' };
  if (by === 'kl') return { neg: '−4 or less', mid: '0', pos: '+4 or more' };
  const d = scale > 0 && scale < 0.1 ? 3 : 2;
  return scale > 0 ? { neg: `−${scale.toFixed(d)}`, mid: '0', pos: `+${scale.toFixed(d)}` } : { neg: '−3', mid: '0', pos: '+3' };
}

/** The CSS background of a shade: the scale colour mixed into the panel (≤ 55%, text stays AA). */
export function shadeCss(sh: Shade): string {
  const pct = Math.round(55 * sh.strength);
  return `color-mix(in srgb, var(--heat-${sh.side}) ${pct}%, var(--panel))`;
}

const num = (x: number, d = 2) => (Number.isFinite(x) ? (x < 0 ? `−${Math.abs(x).toFixed(d)}` : x.toFixed(d)) : '–');
const signed = (x: number, d = 2) => (Number.isFinite(x) && x > 0 ? `+${x.toFixed(d)}` : num(x, d));

/** A token as visible text: newline and space get a visible sign. */
export function visibleToken(t: string): string {
  return t === '\n' ? '↵' : t === ' ' ? '␣' : t;
}

/** The numbers of one token, as one line of text. */
export function tokenNumbers(s: TokenScores, i: number): string {
  const p = Math.exp(s.logprob[i]);
  const prob = `p = ${Number.isFinite(p) ? p.toFixed(2) : '–'}`;
  return `“${visibleToken(s.tokens[i])}”: log-prob ${num(s.logprob[i])} (${prob}) · KL to SFT ${signed(s.klToSft[i])} · value ${num(s.value[i])}`;
}

export { num as formatNumber };
