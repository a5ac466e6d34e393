import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { PRESETS } from '../model/config';
import { generate } from '../model/generate';
import { BOS, decode, encode, tokenText } from '../model/tokenizer';
import { getTask, type Task, type TaskName } from '../tasks';
import type { PipelineConfig } from '../rlhf/config';
import { modelFromWeights } from '../rlhf/snapshot';
import { buildSequences, layoutFor, policyLogits, type SequenceLayout } from '../rlhf/sequences';
import { ScalarModel } from '../rlhf/scalarModel';
import { sequenceLogProbs } from '../rlhf/math';
import { attentionMaps } from '../model/attentionMaps';
import { openDb } from '../store/db';
import { getRun } from '../store/runs';
import { latestGoodCheckpoint } from '../store/latestGoodCheckpoint';
import type { InspectCommand, InspectEvent, ModelName, StageName, TokenScores } from './protocol';
import { errorMessage } from '../util/errorMessage';

/**
 * The worker's registry of models loaded for inspection (a saved run's latest good checkpoint),
 * and the answers to the inspect commands. Separate from any training run: a run in progress
 * keeps its own models.
 */
const MODEL_NAMES: ModelName[] = ['base', 'sft', 'reward', 'policy', 'value'];
const LANGUAGE_MODELS: ModelName[] = ['base', 'sft', 'policy'];

interface Loaded {
  runId: string;
  task: Task;
  layout: SequenceLayout;
  models: Partial<Record<ModelName, GPT>>;
}
let loaded: Loaded | null = null;
let sampleSeed = 1;

function unload(): void {
  for (const m of Object.values(loaded?.models ?? {})) m.dispose();
  loaded = null;
}

function need(name: ModelName): GPT {
  if (!loaded) throw new Error('No models are loaded: load a finished run’s models first.');
  const m = loaded.models[name];
  if (!m) throw new Error(`The loaded run has no ${name} model (it stopped before that stage).`);
  return m;
}

async function load(runId: string): Promise<{ models: ModelName[]; stage: StageName; step: number; task: TaskName }> {
  const db = await openDb();
  try {
    const run = await getRun(db, runId);
    if (!run) throw new Error(`There is no saved run with id ${runId}.`);
    const cfg = run.config as PipelineConfig;
    const modelCfg = PRESETS[cfg.preset];
    if (!modelCfg) throw new Error(`The run’s model preset "${String(cfg.preset)}" is unknown.`);
    const { checkpoint } = await latestGoodCheckpoint(db, runId);
    if (!checkpoint) throw new Error('This run has no usable checkpoint: its models cannot be loaded.');
    unload();
    const task = getTask(cfg.task);
    const models: Partial<Record<ModelName, GPT>> = {};
    try {
      for (const name of MODEL_NAMES) {
        const w = checkpoint.models[name];
        if (w) models[name] = modelFromWeights(modelCfg, w);
      }
    } catch (e) {
      for (const m of Object.values(models)) m.dispose();
      throw e;
    }
    loaded = { runId, task, layout: layoutFor(task.maxPromptLength, task.maxResponseLength), models };
    return { models: MODEL_NAMES.filter((n) => models[n]), stage: checkpoint.stage, step: checkpoint.step, task: cfg.task };
  } finally {
    db.close();
  }
}

async function sampleSets(name: ModelName, prompts: string[], k: number, temperature: number) {
  if (!LANGUAGE_MODELS.includes(name)) throw new Error(`The ${name} model does not generate text.`);
  const model = need(name);
  const rows = prompts.flatMap((p) => Array.from({ length: k }, () => [BOS, ...encode(p)]));
  const g = await generate(model, rows, { temperature, topK: 0, topP: 1, maxNewTokens: loaded!.layout.R, seed: sampleSeed++, useCache: true });
  return prompts.map((prompt, i) => ({ prompt, responses: g.tokens.slice(i * k, (i + 1) * k).map((t) => decode(t)) }));
}

async function scoreTokens(prompt: string, response: string): Promise<TokenScores> {
  if (!loaded) throw new Error('No models are loaded: load a finished run’s models first.');
  const { models, layout, task } = loaded;
  const b = buildSequences(layout, [prompt], [response]);
  const n = b.responseLength[0];
  const logps: Partial<Record<ModelName, tf.Tensor>> = {};
  const heads: { value?: tf.Tensor; score?: tf.Tensor } = {};
  try {
    tf.tidy(() => {
      const actions = tf.tensor2d(b.actions, [1, layout.R], 'int32');
      for (const name of LANGUAGE_MODELS) {
        const m = models[name];
        if (m) logps[name] = tf.keep(sequenceLogProbs(policyLogits(m, b), actions));
      }
      if (models.value) heads.value = tf.keep(new ScalarModel(models.value).values(b));
      if (models.reward) heads.score = tf.keep(new ScalarModel(models.reward).scores(b));
    });
    const read = async (t: tf.Tensor | undefined) => (t ? Array.from((await t.data()) as Float32Array).slice(0, n) : new Array<number>(n).fill(NaN));
    const logprobBy: Partial<Record<ModelName, number[]>> = {};
    for (const name of LANGUAGE_MODELS) if (logps[name]) logprobBy[name] = await read(logps[name]);
    const policy = logprobBy.policy ?? new Array<number>(n).fill(NaN);
    const sft = logprobBy.sft ?? new Array<number>(n).fill(NaN);
    return {
      tokens: Array.from(b.actions.subarray(0, n), tokenText),
      logprob: policy,
      klToSft: policy.map((lp, i) => lp - sft[i]),
      value: await read(heads.value),
      logprobBy,
      rmScore: heads.score ? (await heads.score.data())[0] : NaN,
      labelerScore: task.score(prompt, response).total,
    };
  } finally {
    tf.dispose([...Object.values(logps), ...Object.values(heads)]);
  }
}

/** Answers one inspect command; the attention weights' buffer is transferred, not copied. */
export async function inspect(cmd: InspectCommand, post: (e: InspectEvent, transfer?: Transferable[]) => void): Promise<void> {
  const { requestId } = cmd;
  try {
    switch (cmd.type) {
      case 'loadModels': {
        const r = await load(cmd.runId);
        post({ type: 'modelsLoaded', requestId, runId: cmd.runId, ...r });
        return;
      }
      case 'sampleForLabeling': {
        const k = Math.max(1, Math.min(16, Math.floor(cmd.k)));
        const temperature = Math.max(0.05, Math.min(2, cmd.temperature));
        post({ type: 'labelingSets', requestId, sets: await sampleSets(cmd.model, cmd.prompts.slice(0, 16), k, temperature) });
        return;
      }
      case 'scoreTokens':
        post({ type: 'tokenScores', requestId, ...(await scoreTokens(cmd.prompt, cmd.response)) });
        return;
      case 'attention': {
        const model = need(cmd.model);
        const ids = [BOS, ...encode(cmd.text)].slice(0, model.cfg.contextLength);
        const r = await attentionMaps(model, ids);
        post({ type: 'attentionMaps', requestId, tokens: ids.map(tokenText), nLayer: r.nLayer, nHead: r.nHead, weights: r.weights }, [r.weights.buffer]);
        return;
      }
    }
  } catch (e) {
    post({ type: 'requestError', requestId, message: errorMessage(e) });
  }
}
