import { test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { runPipeline } from '../../src/rlhf/pipeline';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';

test('probe pipeline', async () => {
  const engine = await initBackend('wasm');
  const cfg: PipelineConfig = {
    ...DEFAULT_PIPELINE,
    preset: 'micro',
    pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 60, seqLen: 32 },
    sft: { ...DEFAULT_PIPELINE.sft, steps: 40 },
    rm: { ...DEFAULT_PIPELINE.rm, steps: 20, trainPrompts: 64, heldoutPrompts: 32 },
    ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 4, rolloutBatch: 16, probeEvery: 2 },
    eval: { testPrompts: 32, pretrainWindows: 32 },
  };
  const t: Record<string, number> = {};
  let last = performance.now();
  const report = await runPipeline(cfg, engine, {
    stage: (s, st, m) => { const now = performance.now(); console.log(`[${((now - last) / 1000).toFixed(1)}s] ${s} ${st} ${m ?? ''}`); last = now; },
    hooksFor: () => ({ metrics: () => {}, samples: () => {}, shouldStop: () => false }),
    shouldStop: () => false,
  });
  const { log, ...ppo } = report.stages.ppo;
  console.log(JSON.stringify({ ...report.stages, ppo }, null, 1));
  console.log(JSON.stringify(log.map((l) => [l.reward.toFixed(2), l.kl.toFixed(3), l.labelerScore.toFixed(2), l.rolloutSeconds.toFixed(1), l.scoreSeconds.toFixed(1), l.updateSeconds.toFixed(1)])));
  console.log(JSON.stringify(report.eval, null, 1));
  void t;
});
