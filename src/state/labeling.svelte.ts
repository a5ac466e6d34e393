import { TASKS, Rng, type TaskName } from '../tasks';
import { distinct, move } from './agreement';
import type { AgreementReply, AgreementRequest } from './agreement.worker';
import { addUserRow, datasets } from './datasets.svelte';

/**
 * "You are the labeler": a prompt from the built-in task and K candidate responses (until the
 * worker can sample the trained model), ranked by the user, or a demonstration written for it.
 * Agreement with the first simulated training labeler is measured on every ranking the user saved.
 */
export const labeling = $state({
  task: 'instructions' as TaskName,
  k: 4,
  round: 0,
  prompt: '',
  /** the responses in the user's current order, best first */
  order: [] as string[],
  demo: '',
  message: '',
  agreement: null as { agree: number; pairs: number } | null,
});

let prompts: string[] = [];
let promptsFor = '';
let worker: Worker | null = null;
let lastRequest = 0;

/** Shows the next prompt and its K responses (deterministic per task and round). */
export function nextSet(): void {
  const task = TASKS[labeling.task];
  if (promptsFor !== labeling.task) {
    prompts = task.prompts(new Rng(`labeling-${labeling.task}`), { train: 200, val: 1, test: 1 }).train;
    promptsFor = labeling.task;
  }
  const rng = new Rng(`set-${labeling.task}-${labeling.round}`);
  const prompt = prompts[labeling.round % prompts.length];
  let responses = distinct(task.candidates(prompt, rng, labeling.k * 3)).slice(0, labeling.k);
  if (responses.length < 2) responses = distinct([...responses, task.demonstrate(prompt, rng)]);
  labeling.prompt = prompt;
  labeling.order = responses;
  labeling.demo = '';
  labeling.round++;
}

export function moveResponse(from: number, to: number): void {
  labeling.order = move(labeling.order, from, to);
}

/**
 * Agreement between the user's saved rankings and the simulated labeler's ranking of the same
 * responses, computed in a small worker (calibrating the labelers takes longer than a frame).
 */
export function measureAgreement(): void {
  const mine = datasets.rankings.filter((r) => r.source === 'user').slice(-200);
  if (!mine.length) {
    labeling.agreement = null;
    return;
  }
  worker ??= new Worker(new URL('./agreement.worker.ts', import.meta.url), { type: 'module' });
  const id = ++lastRequest;
  worker.onmessage = (e: MessageEvent<AgreementReply>) => {
    if (e.data.id !== lastRequest) return;
    if ('error' in e.data) labeling.message = `Agreement could not be measured (${e.data.error}).`;
    else labeling.agreement = { agree: e.data.agree, pairs: e.data.pairs };
  };
  const request: AgreementRequest = { id, task: labeling.task, rankings: mine.map((r) => ({ prompt: r.prompt, ranking: [...r.ranking] })) };
  worker.postMessage(request);
}

export async function submitRanking(): Promise<void> {
  const problem = await addUserRow('rankings', { prompt: labeling.prompt, ranking: [...labeling.order] });
  labeling.message = problem ? `Not saved: ${problem}` : 'Ranking saved.';
  if (!problem) nextSet();
}

export async function submitDemonstration(): Promise<void> {
  const completion = labeling.demo.trim();
  if (!completion) {
    labeling.message = 'Write a response first.';
    return;
  }
  const problem = await addUserRow('demonstrations', { prompt: labeling.prompt, completion });
  labeling.message = problem ? `Not saved: ${problem}` : 'Demonstration saved.';
  if (!problem) nextSet();
}

/** The labeling view follows the pipeline's task. */
export function followTask(task: TaskName): void {
  if (labeling.task === task) return;
  labeling.task = task;
  labeling.round = 0;
  labeling.prompt = '';
  labeling.agreement = null;
  labeling.message = '';
}
