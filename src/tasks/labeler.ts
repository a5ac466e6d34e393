/**
 * Simulated labelers. Each labeler reads a response through the task's
 * noise-free rubric, plus its own mild, fixed biases (a taste for longer or
 * shorter answers, a little extra weight on one rubric part), plus fresh
 * Gaussian noise for every judgement:
 *
 *   perceived(r) = total(r) + lengthBias · len(r)/maxLen + Σ_k partBias[k] · part_k(r) + σ · m_l · ε,   ε ~ N(0, 1)
 *
 * σ is one scale for the pool, m_l the labeler's own noise multiplier. A
 * ranking sorts responses by perceived quality.
 *
 * The pool's σ is calibrated to a target agreement: labelerNoise.ts.
 */
import { Rng } from '../util/rng';
import type { ResponseSet, Task } from './types';
import { calibrateNoise, candidateSets, expectedAgreement, judge, judgedPairs, utility, type LabelerProfile } from './labelerNoise';

/** The paper's inter-labeler agreement among training labelers (72.6 ± 1.5%): the pipeline's default (rlhf/config.ts). */
export const DEFAULT_AGREEMENT = 0.73;

export class SimulatedLabeler {
  constructor(
    readonly profile: LabelerProfile,
    /** absolute noise standard deviation on the utility scale (pool σ × profile.noise) */
    readonly sigma: number,
  ) {}

  get id(): string {
    return this.profile.id;
  }

  /** Noise-free perceived quality of a response (rubric + this labeler's biases). */
  utility(task: Task, prompt: string, response: string): number {
    return utility(this.profile, judge(task, prompt, response));
  }

  /** Indices of `responses`, best first. Each judgement draws fresh noise from rng. */
  rank(task: Task, prompt: string, responses: readonly string[], rng: Rng): number[] {
    const perceived = responses.map((r) => this.utility(task, prompt, r) + this.sigma * rng.normal());
    return responses.map((_, i) => i).sort((i, j) => perceived[j] - perceived[i] || i - j);
  }

  /**
   * Pairwise preference for win rates: 1 if a is preferred, 0 if b, 0.5 for a
   * tie (identical responses, or responses of exactly equal noise-free quality
   * to this labeler).
   */
  prefer(task: Task, prompt: string, a: string, b: string, rng: Rng): 1 | 0 | 0.5 {
    if (a === b) return 0.5;
    const du = this.utility(task, prompt, a) - this.utility(task, prompt, b);
    if (du === 0) return 0.5;
    const d = du + this.sigma * (rng.normal() - rng.normal());
    return d > 0 ? 1 : d < 0 ? 0 : 0.5;
  }
}

export interface LabelerPoolOptions {
  /** target mean pairwise agreement among all labelers of the pool (default 0.73) */
  agreement?: number;
  /** training labelers (default 4) */
  nTrain?: number;
  /** held-out labelers, used only for evaluation (default 2) */
  nHeldOut?: number;
  /** seeds the identities (biases) and the calibration sets */
  seed?: number | string;
  /** response sets to calibrate on (e.g. SFT samples); default: `calibrationSets` sets of task.candidates */
  sets?: readonly ResponseSet[];
  /** default 300 */
  calibrationSets?: number;
  /** largest |lengthBias| (default 0.03) */
  maxLengthBias?: number;
  /** largest |partBias| on the one part a labeler over-weights (default 0.05) */
  maxPartBias?: number;
}

export class LabelerPool {
  constructor(
    readonly train: readonly SimulatedLabeler[],
    readonly heldOut: readonly SimulatedLabeler[],
    /** the target agreement */
    readonly agreement: number,
    /** the calibrated noise scale σ */
    readonly sigma: number,
    /** the expected agreement at σ on the calibration pairs (≈ agreement unless out of reach) */
    readonly expected: number,
  ) {}

  all(): SimulatedLabeler[] {
    return [...this.train, ...this.heldOut];
  }

  pick(group: 'train' | 'heldOut', rng: Rng): SimulatedLabeler {
    return rng.pick(group === 'train' ? this.train : this.heldOut);
  }
}

/** Identities with mild random biases. Ids: train-1.., heldout-1.. */
function makeProfiles(
  task: Task,
  rng: Rng,
  nTrain: number,
  nHeldOut: number,
  maxLengthBias = 0.03,
  maxPartBias = 0.05,
): {
  train: LabelerProfile[];
  heldOut: LabelerProfile[];
} {
  const make = (id: string): LabelerProfile => {
    const partBias: Record<string, number> = {};
    if (task.scoreParts.length > 0) partBias[rng.pick(task.scoreParts)] = rng.uniform(-maxPartBias, maxPartBias);
    return { id, noise: rng.uniform(0.8, 1.2), lengthBias: rng.uniform(-maxLengthBias, maxLengthBias), partBias };
  };
  const train = Array.from({ length: nTrain }, (_, i) => make(`train-${i + 1}`));
  const heldOut = Array.from({ length: nHeldOut }, (_, i) => make(`heldout-${i + 1}`));
  return { train, heldOut };
}

/** A calibrated pool of training and held-out labelers for a task. */
export function createLabelerPool(task: Task, opts: LabelerPoolOptions = {}): LabelerPool {
  const agreement = opts.agreement ?? DEFAULT_AGREEMENT;
  if (!(agreement > 0.5 && agreement < 1)) throw new RangeError(`agreement must be in (0.5, 1), got ${agreement}`);
  const nTrain = opts.nTrain ?? 4;
  const nHeldOut = opts.nHeldOut ?? 2;
  if (nTrain < 1 || nHeldOut < 0) throw new RangeError('need at least one training labeler');
  const rng = new Rng(opts.seed ?? 0);
  const { train, heldOut } = makeProfiles(task, rng.fork('identities'), nTrain, nHeldOut, opts.maxLengthBias, opts.maxPartBias);
  const sets = opts.sets ?? candidateSets(task, rng.fork('calibration'), opts.calibrationSets ?? 300);
  const pairs = judgedPairs(task, sets);
  const profiles = [...train, ...heldOut];
  const sigma = calibrateNoise(agreement, pairs, profiles);
  const expected = expectedAgreement(pairs, sigma, profiles);
  const mk = (p: LabelerProfile) => new SimulatedLabeler(p, sigma * p.noise);
  return new LabelerPool(train.map(mk), heldOut.map(mk), agreement, sigma, expected);
}

/**
 * Measured agreement: every labeler ranks every set (fresh noise); for each pair of labelers, the
 * fraction of pairs of distinct responses they order the same way, averaged over labeler pairs.
 * With `others`, the pairs are one labeler from `labelers` and one from `others` (e.g. training vs
 * held-out labelers); without, every pair of distinct labelers in `labelers`.
 */
function measureAgreement(
  task: Task,
  labelers: readonly SimulatedLabeler[],
  sets: readonly ResponseSet[],
  rng: Rng,
  others?: readonly SimulatedLabeler[],
): number {
  const all = others ? [...labelers, ...others] : [...labelers];
  const labelerPairs: [number, number][] = [];
  for (let x = 0; x < all.length; x++)
    for (let y = x + 1; y < all.length; y++) if (!others || (x < labelers.length && y >= labelers.length)) labelerPairs.push([x, y]);
  if (labelerPairs.length === 0) throw new RangeError('measureAgreement: need two labelers');
  let agree = 0;
  let total = 0;
  for (const { prompt, responses } of sets) {
    const positions = all.map((l) => {
      const order = l.rank(task, prompt, responses, rng);
      const pos = new Array<number>(responses.length);
      order.forEach((idx, rankPos) => (pos[idx] = rankPos));
      return pos;
    });
    for (const [x, y] of labelerPairs) {
      for (let i = 0; i < responses.length; i++) {
        for (let j = i + 1; j < responses.length; j++) {
          if (responses[i] === responses[j]) continue;
          if (positions[x][i] < positions[x][j] === positions[y][i] < positions[y][j]) agree++;
          total++;
        }
      }
    }
  }
  return total === 0 ? NaN : agree / total;
}

/** Agreement within and between the pool's groups, the paper's three numbers (§5.1). */
export interface LabelerAgreement {
  train_train: number;
  heldout_heldout: number;
  train_heldout: number;
}

export function poolAgreement(task: Task, pool: LabelerPool, sets: readonly ResponseSet[], rng: Rng): LabelerAgreement {
  return {
    train_train: measureAgreement(task, pool.train, sets, rng.fork('train-train')),
    heldout_heldout: pool.heldOut.length > 1 ? measureAgreement(task, pool.heldOut, sets, rng.fork('heldout-heldout')) : NaN,
    train_heldout: pool.heldOut.length ? measureAgreement(task, pool.train, sets, rng.fork('train-heldout'), pool.heldOut) : NaN,
  };
}

/**
 * Per-prompt preferences of a over b: prefer(a[i], b[i]) with labelers taken in turn (1, 0, or ½
 * for a tie), as in the paper's preference evaluations. Their mean is the win rate of a over b.
 */
export function preferences(
  task: Task,
  labelers: readonly SimulatedLabeler[],
  prompts: readonly string[],
  a: readonly string[],
  b: readonly string[],
  rng: Rng,
): number[] {
  if (labelers.length === 0) throw new RangeError('preferences: no labelers');
  if (prompts.length !== a.length || prompts.length !== b.length) throw new RangeError('preferences: lengths differ');
  return prompts.map((p, i) => labelers[i % labelers.length].prefer(task, p, a[i], b[i], rng));
}

/**
 * A 95% interval for the mean of per-prompt scores (normal approximation: mean ± 1.96·s/√n, s the
 * sample standard deviation), clipped to [lo, hi].
 */
export function interval95(xs: readonly number[], lo = 0, hi = 1): [number, number] {
  const n = xs.length;
  if (n < 2) return [NaN, NaN];
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  const h = (1.96 * s) / Math.sqrt(n);
  return [Math.max(lo, m - h), Math.min(hi, m + h)];
}
