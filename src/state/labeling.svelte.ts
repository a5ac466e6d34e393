import { TASKS, Rng, type TaskName } from '../tasks';
import { distinct, move } from './agreement';
import type { AgreementReply, AgreementRequest } from './agreement.worker';
import { addUserRow, datasets } from './datasets.svelte';
import { inspection } from './inspection.svelte';
import { onWorkerEvent } from './run.svelte';
import { request } from './requests';
import type { ModelName } from '../worker/protocol';
import { errorMessage } from '../util/errorMessage';

/** Where the K responses come from: the task's candidate generator, or a trained model loaded in the worker. */
export type LabelSource = 'candidates' | 'policy' | 'sft' | 'base';

/**
 * "You are the labeler": a prompt from the built-in task and K responses (from the task's
 * candidate generator, or sampled from a trained model the worker has loaded, as the paper's
 * labelers ranked model outputs), ranked by the user, or a demonstration written for it.
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
  source: 'candidates' as LabelSource,
  /** the responses are being sampled from the model */
  sampling: false,
  /** where the shown responses came from, in words */
  origin: '',
});

/** The trained models the labeling view can sample from now (loaded, same task). */
export function modelSources(): ModelName[] {
  if (inspection.task !== labeling.task) return [];
  return (['policy', 'sft', 'base'] as const).filter((m) => inspection.models.includes(m));
}

let prompts: string[] = [];
let promptsFor = '';
let worker: Worker | null = null;
let lastRequest = 0;
let measuring = false;

// Training gets the CPU: a measurement still running when a run starts is dropped (the
// labeling view measures again when it is next shown).
onWorkerEvent((e) => {
  if (!measuring || e.type !== 'status' || e.state !== 'training') return;
  worker?.terminate();
  worker = null;
  measuring = false;
});

/** Shows the next prompt and its K responses (deterministic per task and round). */
export function nextSet(): void {
  const task = TASKS[labeling.task];
  if (promptsFor !== labeling.task) {
    prompts = task.prompts(new Rng(`labeling-${labeling.task}`), { train: 200, val: 1, test: 1 }).train;
    promptsFor = labeling.task;
  }
  const rng = new Rng(`set-${labeling.task}-${labeling.round}`);
  const prompt = prompts[labeling.round % prompts.length];
  const fromGenerator = () => {
    let responses = distinct(task.candidates(prompt, rng, labeling.k * 3)).slice(0, labeling.k);
    if (responses.length < 2) responses = distinct([...responses, task.demonstrate(prompt, rng)]);
    return responses;
  };
  labeling.prompt = prompt;
  labeling.demo = '';
  labeling.round++;
  const source = labeling.source;
  if (source === 'candidates' || !modelSources().includes(source)) {
    labeling.order = fromGenerator();
    labeling.origin = 'the task’s candidate generator';
    labeling.sampling = false;
    return;
  }
  // Sampled from the trained model; topped up from the generator when samples repeat.
  const round = labeling.round;
  labeling.order = [];
  labeling.sampling = true;
  labeling.origin = '';
  request({ type: 'sampleForLabeling', model: source, prompts: [prompt], k: labeling.k, temperature: 1 })
    .then((r) => {
      if (labeling.round !== round) return;
      const sampled = distinct(r.sets[0]?.responses ?? []).slice(0, labeling.k);
      const extra =
        sampled.length < labeling.k
          ? fromGenerator()
              .filter((x) => !sampled.includes(x))
              .slice(0, labeling.k - sampled.length)
          : [];
      labeling.order = [...sampled, ...extra];
      labeling.origin = extra.length
        ? `${sampled.length} sampled from the ${source} model, ${extra.length} from the task’s generator (the model repeated itself)`
        : `all ${sampled.length} sampled from the ${source} model (temperature 1)`;
    })
    .catch((e: unknown) => {
      if (labeling.round !== round) return;
      labeling.order = fromGenerator();
      labeling.origin = 'the task’s candidate generator';
      labeling.message = `Sampling from the model failed (${errorMessage(e)}); showing generated candidates.`;
    })
    .finally(() => {
      if (labeling.round === round) labeling.sampling = false;
    });
}

/** Switches where responses come from and draws a new set. */
export function setSource(source: LabelSource): void {
  labeling.source = source;
  labeling.round = Math.max(0, labeling.round - 1); // the same prompt, new responses
  nextSet();
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
  measuring = true;
  worker.onmessage = (e: MessageEvent<AgreementReply>) => {
    if (e.data.id !== lastRequest) return;
    measuring = false;
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
