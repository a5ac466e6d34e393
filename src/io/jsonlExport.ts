/**
 * Datasets out as JSON Lines in TRL's shapes, and the conversions between pairs and K-way rankings.
 * Pure: no DOM, no tfjs.
 *
 *   standard         {"prompt": "…", "completion": "…"}, {"prompt": "…", "chosen": "…", "rejected": "…"},
 *                    and the app's own {"prompt": "…", "ranking": [best, …, worst]}
 *   conversational   the same with message lists: "prompt" is [{"role": "user", …}], "completion",
 *                    "chosen", "rejected" are [{"role": "assistant", …}] (TRL's conversational
 *                    prompt-completion and preference formats; K-way rankings have no TRL shape, and
 *                    are written as standard rows either way)
 */

import type { DatasetKind, Demonstration, Preference, Ranking, RowOf } from './jsonl';
import type { RowShape } from './trlShapes';

const user = (content: string) => [{ role: 'user', content }];
const assistant = (content: string) => [{ role: 'assistant', content }];

/** Serialises rows as JSON Lines (one object per line, keys in canonical order, trailing LF). */
export function toJsonl<K extends DatasetKind>(kind: K, rows: readonly RowOf<K>[], shape: RowShape = 'standard'): string {
  const conv = shape === 'conversational';
  const lines = rows.map((r) => {
    if (kind === 'demonstrations') {
      const d = r as Demonstration;
      return JSON.stringify(conv ? { prompt: user(d.prompt), completion: assistant(d.completion) } : { prompt: d.prompt, completion: d.completion });
    }
    if (kind === 'preferences') {
      const p = r as Preference;
      return JSON.stringify(
        conv
          ? { prompt: user(p.prompt), chosen: assistant(p.chosen), rejected: assistant(p.rejected) }
          : { prompt: p.prompt, chosen: p.chosen, rejected: p.rejected },
      );
    }
    const k = r as Ranking;
    return JSON.stringify({ prompt: k.prompt, ranking: k.ranking });
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * Each preference pair becomes its own K = 2 ranking `[chosen, rejected]`, in input order.
 * Pairs sharing a prompt are deliberately NOT merged into longer rankings: pairwise labels need
 * not be consistent with any total order, and merging would invent comparisons.
 */
export function preferencesToRankings(prefs: readonly Preference[]): Ranking[] {
  return prefs.map((p) => ({ prompt: p.prompt, ranking: [p.chosen, p.rejected] }));
}

/**
 * Expands each ranking of K items into all C(K, 2) pairs (InstructGPT): for i < j, chosen is
 * ranking[i] and rejected is ranking[j]. Order: by ranking, then i, then j.
 */
export function rankingsToPreferences(rankings: readonly Ranking[]): Preference[] {
  const out: Preference[] = [];
  for (const r of rankings) {
    for (let i = 0; i < r.ranking.length; i++) {
      for (let j = i + 1; j < r.ranking.length; j++) {
        out.push({ prompt: r.prompt, chosen: r.ranking[i], rejected: r.ranking[j] });
      }
    }
  }
  return out;
}
