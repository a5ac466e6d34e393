/**
 * Learning-rate schedule: linear warm-up from 0 to `peak` over `warmup` steps, then cosine decay to
 * `peak * minRatio` at `total` steps (held there after). Step numbers start at 0.
 */
export interface Schedule {
  peak: number;
  warmup: number;
  total: number;
  minRatio: number;
}

export function learningRate(step: number, s: Schedule): number {
  if (s.warmup > 0 && step < s.warmup) return (s.peak * (step + 1)) / s.warmup;
  const decaySteps = Math.max(1, s.total - s.warmup);
  const progress = Math.min(1, Math.max(0, (step - s.warmup) / decaySteps));
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.peak * (s.minRatio + (1 - s.minRatio) * cosine);
}
