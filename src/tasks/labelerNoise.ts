/**
 * The simulated labelers' noise model (labeler.ts) and its calibration: a labeler's noise-free
 * utility of a response (rubric + its biases), and the pool's noise scale σ.
 *
 * Calibration. Two labelers a, b agree on a pair (i, j) when they order it the
 * same way. Each orders it "i first" with probability
 *   p_l = Φ((Δu_l) / (σ · m_l · √2)),   Δu_l = u_l(i) - u_l(j) (noise-free, with biases),
 * independently, so P(agree) = p_a p_b + (1 - p_a)(1 - p_b). Averaging that over
 * realistic pairs (task.candidates, or real samples) and all labeler pairs gives
 * the expected agreement, which falls monotonically as σ grows (from the
 * bias-limited value at σ → 0 to 1/2). calibrateNoise bisects log σ to hit the
 * target. Pairs of identical responses are left out of both the calibration
 * and the measurement (no labeler can order them).
 */
import type { Rng } from '../util/rng';
import { normalCdf } from '../util/normalCdf';
import type { ResponseSet, Task } from './types';

export interface LabelerProfile {
  id: string;
  /** multiplier on the pool's noise scale */
  noise: number;
  /** added utility per (response length / maxResponseLength); > 0 likes longer answers */
  lengthBias: number;
  /** added utility per unit of the named rubric part */
  partBias: Record<string, number>;
}

/** What a labeler needs to know of a response, without noise. */
interface Judged {
  total: number;
  parts: Record<string, number>;
  /** response length / task.maxResponseLength */
  len: number;
}

/** Two distinct responses to one prompt, judged. */
interface JudgedPair {
  a: Judged;
  b: Judged;
}

export function judge(task: Task, prompt: string, response: string): Judged {
  const s = task.score(prompt, response);
  return { total: s.total, parts: s.parts, len: response.length / task.maxResponseLength };
}

/** A labeler's noise-free utility, biases included. */
export function utility(profile: LabelerProfile, j: Judged): number {
  let u = j.total + profile.lengthBias * j.len;
  for (const k in profile.partBias) u += profile.partBias[k] * (j.parts[k] ?? 0);
  return u;
}

const UNBIASED: LabelerProfile = { id: 'unbiased', noise: 1, lengthBias: 0, partBias: {} };

/**
 * Expected pairwise agreement, averaged over all pairs of distinct labelers in
 * `profiles` (one profile: two independent judgements by it) and over `pairs`,
 * at noise scale σ.
 */
export function expectedAgreement(pairs: readonly JudgedPair[], sigma: number, profiles: readonly LabelerProfile[] = [UNBIASED]): number {
  if (pairs.length === 0) return NaN;
  const ps = profiles.length > 0 ? profiles : [UNBIASED];
  // Δu per labeler per pair, computed once
  const du = ps.map((p) => pairs.map((q) => utility(p, q.a) - utility(p, q.b)));
  const lp: Array<[number, number]> = [];
  if (ps.length === 1) lp.push([0, 0]);
  for (let x = 0; x < ps.length; x++) for (let y = x + 1; y < ps.length; y++) lp.push([x, y]);
  let sum = 0;
  for (const [x, y] of lp) {
    const sx = Math.max(1e-12, sigma * ps[x].noise * Math.SQRT2);
    const sy = Math.max(1e-12, sigma * ps[y].noise * Math.SQRT2);
    for (let i = 0; i < pairs.length; i++) {
      const pa = normalCdf(du[x][i] / sx);
      const pb = normalCdf(du[y][i] / sy);
      sum += pa * pb + (1 - pa) * (1 - pb);
    }
  }
  return sum / (lp.length * pairs.length);
}

/**
 * The noise scale σ at which labelers with these profiles agree on `agreement`
 * of the pairs (bisection on log σ in [1e-4, 1e2]). If the target is above what
 * the biases allow even without noise, returns the smallest σ; if it is ≤ 1/2,
 * the largest.
 */
export function calibrateNoise(agreement: number, pairs: readonly JudgedPair[], profiles: readonly LabelerProfile[] = [UNBIASED]): number {
  if (pairs.length === 0) throw new Error('calibrateNoise: no pairs');
  let lo = Math.log(1e-4);
  let hi = Math.log(1e2);
  if (expectedAgreement(pairs, Math.exp(lo), profiles) <= agreement) return Math.exp(lo);
  if (expectedAgreement(pairs, Math.exp(hi), profiles) >= agreement) return Math.exp(hi);
  for (let it = 0; it < 40; it++) {
    const mid = 0.5 * (lo + hi);
    if (expectedAgreement(pairs, Math.exp(mid), profiles) > agreement) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}

/**
 * All pairs of distinct responses within each set, judged by the task's rubric.
 */
export function judgedPairs(task: Task, sets: readonly ResponseSet[]): JudgedPair[] {
  const out: JudgedPair[] = [];
  for (const { prompt, responses } of sets) {
    const js = responses.map((r) => judge(task, prompt, r));
    for (let i = 0; i < responses.length; i++) {
      for (let j = i + 1; j < responses.length; j++) {
        if (responses[i] !== responses[j]) out.push({ a: js[i], b: js[j] });
      }
    }
  }
  return out;
}

/**
 * n realistic ranking sets, the calibration's default: val-style prompts with K ∈ [kMin, kMax] task.candidates each.
 */
export function candidateSets(task: Task, rng: Rng, n: number, kMin = 4, kMax = 9): ResponseSet[] {
  const prompts = task.prompts(rng.fork('prompts'), { train: Math.min(n, task.promptCapacity), val: 0, test: 0 }).train;
  const r = rng.fork('responses');
  const sets: ResponseSet[] = [];
  for (let i = 0; i < n; i++) {
    const prompt = prompts[i % prompts.length];
    sets.push({ prompt, responses: task.candidates(prompt, r, r.range(kMin, kMax)) });
  }
  return sets;
}
