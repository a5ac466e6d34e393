/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../engine/backend';
import { GPT } from '../model/gpt';
import { generate } from '../model/generate';
import { ScalarModel } from '../rlhf/scalarModel';
import { lmShareLoss, rankingShareLoss } from '../train/shareLoss';
import { errorMessage } from '../util/errorMessage';
import type { GradientJob, GradientReply } from '../train/dataParallel';

/**
 * The second wasm worker of a split training step (src/train/dataParallel.ts): started by the
 * training worker, with its own one-thread tfjs-wasm. For each job it sets its model to the weights
 * it is sent, computes its part's share of the loss and its gradients (or a generation), and sends them back. It
 * keeps no training state: one model per architecture, overwritten by every job.
 */
const post = (reply: GradientReply, transfer: Transferable[] = []) => (self as DedicatedWorkerGlobalScope).postMessage(reply, transfer);

let started: Promise<unknown> | null = null;
let model: GPT | null = null;
let modelKey = '';

function modelFor(job: GradientJob): GPT {
  const key = `${JSON.stringify(job.cfg)} ${job.scalarHead}`;
  if (!model || key !== modelKey) {
    model?.dispose();
    model = GPT.create(job.cfg, 0); // weights are overwritten by every job
    if (job.scalarHead) new ScalarModel(model); // adds score.weight / score.bias to the backbone's params
    modelKey = key;
  }
  return model;
}

async function compute(job: GradientJob): Promise<void> {
  started ??= initBackend('wasm', { wasmThreads: 1, wasmWorkers: 1 });
  await started;
  const m = modelFor(job);
  const vars = job.keys.map((k) => {
    const v = m.params.get(k);
    if (!v) throw new Error(`no parameter ${k} in the helper's model`);
    return v;
  });
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(job.weights[i], v.shape, 'float32'))));
  if (job.kind === 'generate') return post({ id: job.id, generation: await generate(m, job.prompts, job.opts) });
  let accuracy: tf.Scalar | null = null;
  const { value, grads } = tf.tidy(() =>
    tf.variableGrads(() => {
      if (job.kind === 'lm') return lmShareLoss(m, job.part, job.batchCount, job.dropoutSeed);
      const out = rankingShareLoss(new ScalarModel(m), job.batch, job.sets, job.batchSets, job.dropoutSeed);
      accuracy = out.accuracy;
      return out.loss;
    }, vars),
  );
  try {
    // copies (slice): what is transferred must not be a view of the wasm heap
    const out = await Promise.all(vars.map(async (v) => ((await grads[v.name].data()) as Float32Array).slice()));
    const loss = (await value.data())[0];
    const acc = accuracy ? (await (accuracy as tf.Scalar).data())[0] : 0;
    post(
      { id: job.id, grads: out, loss, accuracy: acc },
      out.map((g) => g.buffer),
    );
  } finally {
    tf.dispose([value, ...Object.values(grads), ...(accuracy ? [accuracy] : [])]);
  }
}

self.onmessage = (e: MessageEvent<GradientJob>) => {
  compute(e.data).catch((err: unknown) => post({ id: e.data.id, error: errorMessage(err) }));
};
