import type { EngineInfo } from '../engine/backend';
import type { PipelineConfig } from '../rlhf/config';
import { runPipeline, StoppedError } from '../rlhf/pipeline';
import { memorySnapshot } from '../train/lmLoop';
import type { StageName, WorkerEvent } from './protocol';

/** Runs the pipeline and turns its progress into protocol events. */
export async function pipelineRun(config: PipelineConfig, engine: EngineInfo, post: (e: WorkerEvent) => void, shouldStop: () => boolean): Promise<void> {
  post({ type: 'status', state: 'training', stage: 'pretrain' });
  try {
    const report = await runPipeline(config, engine, {
      stage: (stage, state, message) => post({ type: 'stage', stage, state, message }),
      hooksFor: (stage: StageName) => ({
        metrics: (m) => post({ type: 'metrics', stage, ...m, ...memorySnapshot() }),
        samples: (step, samples) => post({ type: 'samples', stage, step, samples }),
        shouldStop,
      }),
      shouldStop,
    });
    post({ type: 'report', report });
    post({ type: 'status', state: 'done', message: `Pipeline finished in ${Math.round(report.seconds)} s.` });
  } catch (e) {
    if (e instanceof StoppedError) post({ type: 'status', state: 'stopped', message: e.message });
    else throw e;
  }
}
