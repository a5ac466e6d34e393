import { expect, test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { runPipeline, type PipelineCheckpoint } from '../../src/rlhf/pipeline';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';
import { openDb, deleteDb } from '../../src/store/db';
import { createRun } from '../../src/store/runs';
import { latestGoodCheckpoint, saveCheckpoint } from '../../src/store/checkpoints';

/** A small pipeline (wasm: same math, fast here) that is interrupted mid-PPO and resumed. */
const CFG: PipelineConfig = {
  ...DEFAULT_PIPELINE,
  preset: 'micro',
  pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 40, seqLen: 32 },
  sft: { ...DEFAULT_PIPELINE.sft, steps: 20 },
  rm: { ...DEFAULT_PIPELINE.rm, steps: 10, trainPrompts: 32, heldoutPrompts: 16 },
  ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 8, rolloutBatch: 8, minibatches: 2, probeEvery: 0 },
  eval: { testPrompts: 16, pretrainWindows: 16 },
};

const quiet = { metrics: () => {}, samples: () => {}, shouldStop: () => false };

test('a run resumed from a mid-PPO checkpoint in IndexedDB continues with identical metrics', async () => {
  const engine = await initBackend('wasm');
  const saved: PipelineCheckpoint[] = [];
  const full = await runPipeline(CFG, engine, { stage: () => {}, hooksFor: () => quiet, shouldStop: () => false, ppoCheckpointEvery: 4, checkpoint: async (c) => void saved.push(c) });
  expect(saved.map((c) => `${c.stage}:${c.step}:${c.final}`)).toEqual(['pretrain:40:true', 'sft:20:true', 'rm:10:true', 'ppo:4:false', 'ppo:8:true']);

  // Through the real store: save the mid-PPO checkpoint, load it back (checksummed), resume from it.
  const name = `resume-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const run = await createRun(db, { name: 'resume', task: CFG.task, preset: CFG.preset, seed: CFG.seed, config: CFG });
    const mid = saved[3];
    await saveCheckpoint(db, { runId: run.id, stage: mid.stage, step: mid.step, final: mid.final, models: mid.models, optimizer: mid.optimizer, rng: mid.rng, extra: mid.extra });
    const { checkpoint } = await latestGoodCheckpoint(db, run.id);
    expect(checkpoint).toBeTruthy();
    const stages: string[] = [];
    const resumed = await runPipeline(CFG, engine, { stage: (s, st) => stages.push(`${s}:${st}`), hooksFor: () => quiet, shouldStop: () => false }, {
      stage: checkpoint!.stage,
      step: checkpoint!.step,
      final: checkpoint!.final,
      models: checkpoint!.models,
      optimizer: checkpoint!.optimizer,
      rng: checkpoint!.rng,
      extra: checkpoint!.extra as PipelineCheckpoint['extra'],
    });
    expect(stages[0]).toBe('pretrain:done'); // finished stages are not run again
    const strip = (l: (typeof full.stages.ppo.log)[number]) => ({ ...l, rolloutSeconds: 0, scoreSeconds: 0, updateSeconds: 0 });
    expect(resumed.stages.ppo.log.map(strip)).toEqual(full.stages.ppo.log.map(strip));
    expect(resumed.eval.labeler_score).toEqual(full.eval.labeler_score);
    expect(resumed.eval.winrate_ppo_vs_sft).toBe(full.eval.winrate_ppo_vs_sft);
    expect(resumed.stages.rm).toEqual(full.stages.rm);
  } finally {
    db.close();
    await deleteDb(name);
  }
});
