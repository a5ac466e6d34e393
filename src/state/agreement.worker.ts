/**
 * Agreement between the user's rankings and the first simulated training labeler, off the main
 * thread: calibrating a labeler pool takes ~100 ms, longer than a frame. Page-side helper with
 * its own two-message protocol (not the trainer worker's).
 */
import { TASKS, createLabelerPool, hashString, Rng, type LabelerPool, type TaskName } from '../tasks';
import { pairwiseAgreement } from './agreement';
import { errorMessage } from '../util/errorMessage';

export interface AgreementRequest {
  id: number;
  task: TaskName;
  rankings: { prompt: string; ranking: string[] }[];
}
export type AgreementReply = { id: number; agree: number; pairs: number } | { id: number; error: string };

const pools = new Map<TaskName, LabelerPool>();

self.onmessage = (e: MessageEvent<AgreementRequest>) => {
  const { id, task: name, rankings } = e.data;
  try {
    const task = TASKS[name];
    let pool = pools.get(name);
    if (!pool) {
      pool = createLabelerPool(task, { seed: 1, calibrationSets: 100 });
      pools.set(name, pool);
    }
    const labeler = pool.train[0];
    let agree = 0;
    let pairs = 0;
    for (const r of rankings) {
      const theirs = labeler.rank(task, r.prompt, r.ranking, new Rng(hashString(r.prompt + '\n' + r.ranking.join('\n'))));
      const a = pairwiseAgreement(
        r.ranking.map((_, i) => i),
        theirs,
      );
      agree += a.agree;
      pairs += a.pairs;
    }
    (self as unknown as Worker).postMessage({ id, agree, pairs } satisfies AgreementReply);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: errorMessage(err) } satisfies AgreementReply);
  }
};
