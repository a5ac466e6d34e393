/**
 * The bench page for the peer, @genai-fi/nanogpt 0.15.6, in its own page (it bundles its own copy
 * of tfjs, so it must not share a realm with ours). Same config as ours: vocab 128, context 64,
 * d_model 128, 2 layers, 4 heads, MLP ×4, batch 16, synthetic tokens. Timing: its trainer's own
 * loop with a log every step (the log reads the loss back, the end of a step), no validation set.
 */
import { TeachableLLM, selectBackend, waitForModel } from '@genai-fi/nanogpt';
import { median } from './median';

interface PeerResult {
  backend: string;
  ms: number;
  steps_ms: number[];
  warmup: number;
  losses: number[];
  params: number;
}

async function trainPeer(opts: { backend?: string; warmup?: number; reps?: number; batch?: number } = {}): Promise<PeerResult> {
  const backend = opts.backend ?? 'webgpu';
  const warmup = opts.warmup ?? 2;
  const reps = opts.reps ?? 10;
  const B = opts.batch ?? 16;
  console.log(`peer: selecting ${backend}`);
  await selectBackend(backend as 'webgpu');
  console.log('peer: creating the model');
  const llm = TeachableLLM.create('char', {
    modelType: 'GenAI_NanoGPT_v1',
    vocabSize: 128,
    blockSize: 64,
    nLayer: 2,
    nHead: 4,
    nEmbed: 128,
    mlpFactor: 4,
    useRope: false,
  });
  // warm-up, then the char tokeniser must be trained before the model reports ready
  while (llm.status === 'warmup') await new Promise((r) => setTimeout(r, 50));
  if (llm.status === 'error') throw new Error('peer model failed to warm up');
  if (!llm.ready) await llm.trainTokeniser([Array.from({ length: 120 }, (_, i) => String.fromCharCode(33 + i)).join('')]);
  await waitForModel(llm);
  console.log('peer: model ready');
  const options = { batchSize: B, learningRate: 1e-3, logInterval: 1, metrics: [], validationSplit: 0.01, sftMode: 'full' as const };
  const trainer = llm.trainer('pretraining', options);
  // synthetic tokens (a fixed pseudo-random stream)
  let s = 12345;
  const tokens = Uint16Array.from({ length: 200_000 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) % 128);
  await trainer.prepare(tokens);
  console.log('peer: dataset prepared');
  const inner = (
    trainer as unknown as { trainer: { trainOnDataset: (...a: unknown[]) => Promise<unknown>; stop: () => void; setLearningRate: (lr: number) => void } }
  ).trainer;
  const dataset = (trainer as unknown as { trainDataset: unknown }).trainDataset;
  inner.setLearningRate(1e-3);
  const stamps: number[] = [];
  const losses: number[] = [];
  const total = warmup + reps;
  await inner.trainOnDataset(
    dataset,
    {
      ...options,
      maxEpochs: 1000,
      onStep: async (log: { trainingMetrics: { loss: number } }) => {
        stamps.push(performance.now());
        console.log(`peer: step ${stamps.length} loss ${log.trainingMetrics.loss}`);
        losses.push(log.trainingMetrics.loss);
        if (stamps.length >= total) inner.stop();
      },
    },
    undefined,
  );
  const steps = stamps.map((t, i) => (i === 0 ? NaN : t - stamps[i - 1])).slice(warmup);
  const result = { backend, ms: median(steps), steps_ms: steps.map((x) => Math.round(x)), warmup, losses, params: llm.getNumParams() };
  llm.dispose();
  return result;
}

declare global {
  interface Window {
    __bench: Record<string, (...args: never[]) => Promise<unknown>>;
  }
}
window.__bench = { trainPeer: trainPeer as never };
document.title = 'bench ready';
