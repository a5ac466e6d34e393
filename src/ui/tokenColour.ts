import type { TokenScores } from '../worker/protocol';

/**
 * Per-token colouring of a response (pure, for the samples view):
 * - log-prob: the less likely the policy found the token, the stronger the warm colour (surprise);
 * - KL to SFT (k1 = log π − log π_SFT): warm where the policy moved towards the token, cool where away;
 * - value: warm for V(s) > 0, cool for V(s) < 0, strength tanh(|V|).
 * Returns the side of the scale and a strength in [0, 1] (0 for NaN: no colour).
 */
export type Colouring = 'logprob' | 'kl' | 'value';
export interface Shade {
  side: 'pos' | 'neg';
  strength: number;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

export function shade(s: TokenScores, i: number, by: Colouring): Shade {
  if (by === 'logprob') return { side: 'pos', strength: clamp01(-s.logprob[i] / 5) };
  const x = by === 'kl' ? s.klToSft[i] : s.value[i];
  return { side: x < 0 ? 'neg' : 'pos', strength: clamp01(Math.tanh(Math.abs(by === 'kl' ? x / 2 : x))) };
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
  return `“${visibleToken(s.tokens[i])}”: log-prob ${num(s.logprob[i])} (p = ${Number.isFinite(p) ? p.toFixed(2) : '–'}) · KL to SFT ${signed(s.klToSft[i])} · value ${num(s.value[i])}`;
}

export { num as formatNumber };
