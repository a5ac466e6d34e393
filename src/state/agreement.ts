/**
 * Pairwise agreement between two rankings of the same items (both best first, as indices or
 * strings): the share of item pairs both order the same way. Pure.
 */
export function pairwiseAgreement<T>(a: readonly T[], b: readonly T[]): { agree: number; pairs: number } {
  const posB = new Map<T, number>();
  b.forEach((x, i) => posB.set(x, i));
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const pi = posB.get(a[i]);
      const pj = posB.get(a[j]);
      if (pi === undefined || pj === undefined) continue;
      pairs++;
      if (pi < pj) agree++;
    }
  }
  return { agree, pairs };
}

/** Moves the item at `from` to `to` (a new array). */
export function move<T>(xs: readonly T[], from: number, to: number): T[] {
  const out = [...xs];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out;
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}

/** Distinct, non-empty responses, in order (a ranking cannot hold the same text twice). */
export function distinct(xs: readonly string[]): string[] {
  return [...new Set(xs.filter((x) => x.length > 0))];
}
