import { GPT } from '../model/gpt';
import { PRESETS, validateConfig } from '../model/config';
import { getTask } from '../tasks';
import { Rng } from '../util/rng';
import { packCorpus, sampleWindows } from '../train/batches';
import { memorySnapshot, runLMLoop } from '../train/lmLoop';
import type { TrainSetup, WorkerEvent } from './protocol';

/** The first screen's run: a GPT pretrained on the task's generated corpus, with live metrics and samples. */
export async function pretrainRun(setup: TrainSetup, post: (e: WorkerEvent) => void, shouldStop: () => boolean): Promise<void> {
  const cfg = PRESETS[setup.preset];
  const problems = validateConfig(cfg);
  if (problems.length) throw new Error(`Invalid model config: ${problems.join('; ')}`);
  const task = getTask(setup.task);
  const rng = new Rng(setup.seed);
  const stream = packCorpus(task.pretrainCorpus(rng.fork('corpus'), 4000));
  const prompts = task.prompts(rng.fork('prompts'), { train: 4, val: 0, test: 4 }).test;
  const T = cfg.contextLength;
  const model = GPT.create(cfg, setup.seed);
  post({ type: 'status', state: 'training', stage: 'pretrain' });
  try {
    const result = await runLMLoop(
      model,
      (r) => sampleWindows(stream, setup.batchSize, T, r),
      {
        steps: setup.steps,
        lr: setup.lr,
        warmup: setup.warmup,
        minLrRatio: 0.1,
        seed: setup.seed,
        logEvery: setup.logEvery,
        sampleEvery: setup.sampleEvery,
        samplePrompts: prompts,
        sampleMaxTokens: task.maxResponseLength,
      },
      {
        metrics: (m) => post({ type: 'metrics', stage: 'pretrain', ...m, ...memorySnapshot() }),
        samples: (step, samples) => post({ type: 'samples', stage: 'pretrain', step, samples }),
        shouldStop,
      },
    );
    const skippedNote = result.skipped > 0 ? ` ${result.skipped} step(s) with a non-finite gradient were skipped.` : '';
    post({
      type: 'status',
      state: result.stopped ? 'stopped' : 'done',
      stage: 'pretrain',
      message: `${result.steps} steps in ${result.seconds.toFixed(1)} s.${skippedNote}`,
    });
  } finally {
    model.dispose();
  }
}
