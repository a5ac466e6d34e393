import { afterAll, beforeAll, expect, test } from 'vitest';
import type { WorkerEvent } from '../../src/worker/protocol';

/**
 * A resumed run's stage list (run.stages: the diagram, the runner's log) names each finished stage
 * once. The page lists the checkpoint's finished stages as soon as Resume is pressed, and the worker
 * then reports the same stages done again as it restores them (#18).
 */

/** The one worker the page starts, faked: the test plays the worker's events. */
const workers: FakeWorker[] = [];
class FakeWorker {
  onmessage: ((e: { data: WorkerEvent }) => void) | null = null;
  onerror = null;
  sent: unknown[] = [];
  constructor() {
    workers.push(this);
  }
  postMessage(c: unknown): void {
    this.sent.push(c);
  }
  terminate(): void {}
}
const saved = { Worker: globalThis.Worker, location: globalThis.location };
beforeAll(() => {
  Object.assign(globalThis, { Worker: FakeWorker, location: { search: '' } });
});
afterAll(() => {
  Object.assign(globalThis, saved);
});

test('a run resumed inside PPO lists pretraining, SFT and the RM done once each, then PPO and the evaluation', async () => {
  const { connect, resumePipeline, run } = await import('../../src/state/run.svelte');
  connect();
  const worker = workers[0];
  const emit = (e: WorkerEvent) => worker.onmessage!({ data: e });
  resumePipeline('run-1', {}, ['pretrain', 'sft', 'rm'], { stage: 'ppo', step: 4, final: false });
  // the worker resumes from the checkpoint the page cut the curves back to
  expect(worker.sent.at(-1)).toMatchObject({ type: 'resume', runId: 'run-1', from: { stage: 'ppo', step: 4, final: false } });
  // What runPipeline reports on a checkpoint inside PPO: the restored stages done, with their notes.
  emit({ type: 'stage', stage: 'pretrain', state: 'done', message: '60 steps, loss 2.7' });
  emit({ type: 'stage', stage: 'sft', state: 'done', message: '40 steps, loss 1.9' });
  emit({ type: 'stage', stage: 'rm', state: 'done', message: 'held-out accuracy 0.71' });
  emit({ type: 'stage', stage: 'ppo', state: 'running', message: 'resuming at iteration 4' });
  emit({ type: 'stage', stage: 'ppo', state: 'done' });
  emit({ type: 'stage', stage: 'eval', state: 'running' });
  emit({ type: 'stage', stage: 'eval', state: 'done' });
  expect(run.stages.map((s) => `${s.stage} ${s.state}${s.message ? `: ${s.message}` : ''}`)).toEqual([
    'pretrain done: 60 steps, loss 2.7',
    'sft done: 40 steps, loss 1.9',
    'rm done: held-out accuracy 0.71',
    'ppo running: resuming at iteration 4',
    'ppo done',
    'eval running',
    'eval done',
  ]);

  // A second resume of the same page starts its list afresh.
  resumePipeline('run-1', {}, ['pretrain'], { stage: 'pretrain', step: 60, final: true });
  emit({ type: 'stage', stage: 'pretrain', state: 'done' });
  emit({ type: 'stage', stage: 'sft', state: 'running' });
  expect(run.stages.map((s) => `${s.stage} ${s.state}`)).toEqual(['pretrain done', 'sft running']);
});
