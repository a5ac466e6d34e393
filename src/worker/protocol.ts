/**
 * The only contract between the page and the training worker: commands go in, events come out,
 * both as discriminated unions on `type`. Everything here is structured-cloneable plain data.
 */
import type { BackendName, EngineInfo } from '../engine/backend';
import type { TaskName } from '../tasks/types';
import type { PipelineConfig } from '../rlhf/config';
import type { PipelineReport, UserData } from '../rlhf/pipeline';

import type { StageName } from '../rlhf/stages';
import type { CheckpointPosition } from '../store/checkpointPosition';

export type { StageName };

export type Command =
  /** `backend` forces one; `measure`: time webgpu against wasm before each run even on a hardware adapter (?backend=auto-measure) */
  /** `wasmWorkers`: 1 or 2 workers per wasm training step (default: 2 with 2 cores or more; engine/backend.ts) */
  | { type: 'init'; backend?: BackendName; measure?: boolean; wasmWorkers?: number }
  /**
   * the InstructGPT pipeline: pretrain → SFT → RM → PPO-ptx → evaluation, or with `last` only the
   * stages up to it (the "Language model only" view: 'pretrain'), with no evaluation and no report.
   * With a runId (a run record the page created in IndexedDB), checkpoints are autosaved under it:
   * at each stage's end, every `checkpointEvery` PPO iterations (default 10) and every
   * `lmCheckpointEvery` pretraining/SFT steps (default 200; 0 = only at the stage's end)
   */
  | {
      type: 'pipeline';
      config: PipelineConfig;
      last?: StageName;
      runId?: string;
      checkpointEvery?: number;
      lmCheckpointEvery?: number;
      userData?: UserData;
    }
  /**
   * several setups, sharing the stages before the first one they change (src/rlhf/variants.ts): a
   * sweep of a knob, or PPO with and without ptx. Not saved as runs; one `report` per setup, in order.
   */
  | { type: 'variants'; configs: PipelineConfig[]; userData?: UserData }
  /**
   * continue a saved run from its latest good checkpoint (the config and the user's labels come from
   * the run record), `from` that checkpoint or an earlier one: the one the page cut the curves back to
   */
  | { type: 'resume'; runId: string; from?: CheckpointPosition; checkpointEvery?: number; lmCheckpointEvery?: number }
  | { type: 'stop' }
  /** fused WGSL kernels on webgpu (default) or the composed tfjs-op references, for comparison */
  | { type: 'settings'; fusedKernels: boolean }
  | InspectCommand;

/** Models that can be loaded from a run's checkpoint for inspection. */
export type ModelName = 'base' | 'sft' | 'reward' | 'policy' | 'value';

/**
 * Inspecting trained models (after a run): each command carries a `requestId`, echoed by its
 * answer or by a `requestError` with a plain-text message.
 */
export type InspectCommand =
  /** loads the latest good checkpoint's models of a saved run (replacing those loaded before) */
  | { type: 'loadModels'; requestId: number; runId: string }
  /** K samples per prompt from a loaded model, for the labeling view */
  | { type: 'sampleForLabeling'; requestId: number; model: ModelName; prompts: string[]; k: number; temperature: number }
  /** per-token log-probs, KL to SFT and values of one response, with the RM's and the labeler's score */
  | { type: 'scoreTokens'; requestId: number; prompt: string; response: string }
  /** the attention weights of every layer and head of a loaded model on `text` (read from BOS) */
  | { type: 'attention'; requestId: number; model: ModelName; text: string };

/** One response, token by token (NaN where the model needed is not loaded). */
/** Which of TokenScores' measures colours a response's tokens in the samples view. */
export type Colouring = 'logprob' | 'kl' | 'value';

export interface TokenScores {
  /** the response tokens as text (EOS as "<eos>") */
  tokens: string[];
  /** log π(token) under the policy */
  logprob: number[];
  /** k1 per token: log π_policy − log π_SFT */
  klToSft: number[];
  /** the value model's V(s_t) before each token */
  value: number[];
  /** log-prob of each token under each loaded language model (base, sft, policy) */
  logprobBy: Partial<Record<ModelName, number[]>>;
  /** the reward model's score of the whole response */
  rmScore: number;
  /** the task's noise-free rubric (what the simulated labelers judge through their noise), 0..1 */
  labelerScore: number;
}

export type RunState = 'idle' | 'training' | 'done' | 'stopped' | 'failed';

export type WorkerEvent =
  | { type: 'ready'; engine: EngineInfo }
  /** the engine a run trains on, after the worker measured which is faster (EngineInfo.measurement) */
  | { type: 'engine'; engine: EngineInfo }
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
  /** `variant`: in a `variants` run, the index of the setup the stage belongs to */
  | { type: 'stage'; stage: StageName | 'eval'; state: 'running' | 'done'; message?: string; variant?: number }
  /** `variant`: the index of the setup in a `variants` command */
  | { type: 'report'; report: PipelineReport; variant?: number }
  | { type: 'checkpoint'; runId: string; stage: StageName; step: number; final: boolean; bytes: number }
  | { type: 'error'; message: string; fatal: boolean }
  | InspectEvent;

export type InspectEvent =
  | { type: 'modelsLoaded'; requestId: number; runId: string; models: ModelName[]; stage: StageName; step: number; task: TaskName }
  | { type: 'labelingSets'; requestId: number; sets: { prompt: string; responses: string[] }[] }
  | ({ type: 'tokenScores'; requestId: number } & TokenScores)
  /** weights (L, H, T, T) row-major, query i over keys j; its buffer is transferred */
  | { type: 'attentionMaps'; requestId: number; tokens: string[]; nLayer: number; nHead: number; weights: Float32Array }
  | { type: 'requestError'; requestId: number; message: string };
