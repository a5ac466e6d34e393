/**
 * The only contract between the page and the training worker: commands go in, events come out,
 * both as discriminated unions on `type`. Everything here is structured-cloneable plain data.
 */
import type { BackendName, EngineInfo } from '../engine/backend';
import type { PresetName } from '../model/config';
import type { TaskName } from '../tasks/types';
import type { PipelineConfig } from '../rlhf/config';
import type { PipelineReport, UserData } from '../rlhf/pipeline';

export type StageName = 'pretrain' | 'sft' | 'rm' | 'ppo';

/** A language-model training run (the first screen): pretraining on the task's corpus. */
export interface TrainSetup {
  task: TaskName;
  preset: PresetName;
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  logEvery: number;
  sampleEvery: number;
}

export type Command =
  | { type: 'init'; backend?: BackendName }
  | { type: 'train'; setup: TrainSetup }
  /** the whole InstructGPT pipeline: pretrain → SFT → RM → PPO-ptx → evaluation */
  /** with a runId (a run record the page created in IndexedDB), checkpoints are autosaved under it */
  | { type: 'pipeline'; config: PipelineConfig; runId?: string; checkpointEvery?: number; userData?: UserData }
  /** continue a saved run from its latest good checkpoint (the config comes from the run record) */
  | { type: 'resume'; runId: string; checkpointEvery?: number }
  | { type: 'stop' }
  /** fused WGSL kernels on webgpu (default) or the composed tfjs-op references, for comparison */
  | { type: 'settings'; fusedKernels: boolean };

export type RunState = 'idle' | 'training' | 'done' | 'stopped' | 'failed';

export type WorkerEvent =
  | { type: 'ready'; engine: EngineInfo }
  | { type: 'status'; state: RunState; stage?: StageName; message?: string }
  | {
      type: 'metrics';
      stage: StageName;
      step: number;
      total: number;
      /** name → one value per step since the previous metrics event (e.g. loss) */
      values: Record<string, number[]>;
      stepsPerSec: number;
      tokensPerSec: number;
      etaSeconds: number;
      numTensors: number;
      numBytes: number;
    }
  | { type: 'samples'; stage: StageName; step: number; samples: { prompt: string; completion: string }[] }
  | { type: 'stage'; stage: StageName | 'eval'; state: 'running' | 'done'; message?: string }
  | { type: 'report'; report: PipelineReport }
  | { type: 'checkpoint'; runId: string; stage: StageName; step: number; final: boolean; bytes: number }
  | { type: 'error'; message: string; fatal: boolean };
