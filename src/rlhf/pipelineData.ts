import { packCorpus, sampleWindows, type TokenBatch } from '../train/batches';
import type { Task } from '../tasks/types';
import type { Rng } from '../util/rng';
import type { PipelineConfig } from './config';
import { promptNeeds, PROBE_PROMPTS, SAMPLE_PROMPTS } from './promptNeeds';

/**
 * Every piece of data a pipeline run trains and evaluates on, drawn from the seed before any model
 * exists. One function, so a test can check the whole plan: no evaluation prompt (val or test)
 * appears in any text the models train on.
 *
 * Prompt splits (disjoint, as in the paper):
 *   train → SFT demonstrations | RM rankings | PPO prompts
 *   val   → a dev evaluation set | PPO probe (its first prompts: the samples shown while training) | RM held-out rankings
 *   test  → the final evaluation only (or, with eval.split = 'val', untouched: the dev set is used)
 */

export interface PipelineData {
  /** the pretraining corpus, packed (pretraining and the ptx term) */
  stream: Int32Array;
  /** held-out pretraining windows (the alignment tax) */
  heldoutWindows: TokenBatch[];
  sftPrompts: string[];
  rmPrompts: string[];
  ppoPrompts: string[];
  rmHeldoutPrompts: string[];
  probePrompts: string[];
  samplePrompts: string[];
  /** the prompts the final evaluation judges: the test split, or the dev set when eval.split = 'val' */
  evalPrompts: string[];
  /** every test prompt (whether or not this run evaluates on them) */
  testPrompts: string[];
  /** the simulated labelers' demonstrations, some with a slip */
  demos: { prompt: string; response: string }[];
}

export function pipelineData(cfg: PipelineConfig, task: Task, rng: Rng, seqLen: number): PipelineData {
  const need = promptNeeds(cfg);
  const splits = task.prompts(rng.fork('prompts'), need);
  const held = [...splits.val, ...splits.test];
  const stream = packCorpus(task.pretrainCorpus(rng.fork('corpus'), cfg.pretrain.corpusDocs, held));
  const heldoutStream = packCorpus(task.pretrainCorpus(rng.fork('heldout-corpus'), 400));
  const windowRng = rng.fork('heldout-windows');
  const heldoutWindows = Array.from({ length: Math.ceil(cfg.eval.pretrainWindows / 16) }, () => sampleWindows(heldoutStream, 16, seqLen, windowRng));

  const demonstrations = cfg.sft.demonstrations;
  const trainPrompts = cfg.rm.trainPrompts;
  const sftPrompts = splits.train.slice(0, demonstrations);
  const rmPrompts = splits.train.slice(demonstrations, demonstrations + trainPrompts);
  const ppoPrompts = splits.train.slice(demonstrations + trainPrompts);
  let v = 0;
  const nextVal = (n: number) => splits.val.slice(v, (v += n));
  // dev set first: it does not move when rm.heldoutPrompts changes
  const devPrompts = nextVal(cfg.eval.testPrompts);
  const probePrompts = nextVal(PROBE_PROMPTS);
  const rmHeldoutPrompts = nextVal(cfg.rm.heldoutPrompts);
  const samplePrompts = probePrompts.slice(0, SAMPLE_PROMPTS);

  const demoRng = rng.fork('demos');
  const demos = sftPrompts.map((prompt) => {
    const response = task.demonstrate(prompt, demoRng);
    return { prompt, response: demoRng.next() < cfg.sft.slips ? task.slip(prompt, response, demoRng) : response };
  });
  return {
    stream,
    heldoutWindows,
    sftPrompts,
    rmPrompts,
    ppoPrompts,
    rmHeldoutPrompts,
    probePrompts,
    samplePrompts,
    evalPrompts: cfg.eval.split === 'val' ? devPrompts : splits.test,
    testPrompts: splits.test,
    demos,
  };
}
