import { expect, test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { runPipeline, type PipelineCheckpoint } from '../../src/rlhf/pipeline';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';
import { deleteDB } from 'idb';
import { openDb } from '../../src/store/db';
import { createRun } from '../../src/store/runs';
import { saveCheckpoint } from '../../src/store/checkpoints';
import { latestGoodCheckpoint } from '../../src/store/latestGoodCheckpoint';
import { loadResume } from '../../src/worker/pipelineRun';
import { getTask } from '../../src/tasks';
import { withoutTimes } from './helpers';
import { Rng } from '../../src/util/rng';
import type { UserData } from '../../src/rlhf/pipeline';
import { importedSftCheckpoint } from '../../src/rlhf/importedStart';
import { initialWeights } from '../../src/model/params';
import { PRESETS } from '../../src/model/config';

/** A small pipeline (wasm: same math, fast here) that is interrupted mid-PPO and resumed. */
const CFG: PipelineConfig = {
  ...DEFAULT_PIPELINE,
  preset: 'micro',
  pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 40, seqLen: 32 },
  sft: { ...DEFAULT_PIPELINE.sft, steps: 20 },
  rm: { ...DEFAULT_PIPELINE.rm, steps: 10, trainPrompts: 32, heldoutPrompts: 16 },
  ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 8, rolloutBatch: 8, minibatches: 2, probeEvery: 0 },
  eval: { testPrompts: 16, pretrainWindows: 16, split: 'test' },
};

const quiet = { metrics: () => {}, samples: () => {}, shouldStop: () => false };

test('a run resumed from a mid-PPO checkpoint in IndexedDB continues with identical metrics', async () => {
  const engine = await initBackend('wasm');
  const saved: PipelineCheckpoint[] = [];
  const full = await runPipeline(CFG, engine, {
    stage: () => {},
    hooksFor: () => quiet,
    shouldStop: () => false,
    ppoCheckpointEvery: 4,
    checkpoint: async (c) => void saved.push(c),
  });
  expect(saved.map((c) => `${c.stage}:${c.step}:${c.final}`)).toEqual(['pretrain:40:true', 'sft:20:true', 'rm:10:true', 'ppo:4:false', 'ppo:8:true']);

  // Through the real store: save the mid-PPO checkpoint, load it back (checksummed), resume from it.
  const name = `resume-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const run = await createRun(db, { name: 'resume', task: CFG.task, preset: CFG.preset, seed: CFG.seed, config: CFG });
    const mid = saved[3];
    await saveCheckpoint(db, {
      runId: run.id,
      stage: mid.stage,
      step: mid.step,
      final: mid.final,
      models: mid.models,
      optimizer: mid.optimizer,
      rng: mid.rng,
      extra: mid.extra,
    });
    const { checkpoint } = await latestGoodCheckpoint(db, run.id);
    expect(checkpoint).toBeTruthy();
    const stages: string[] = [];
    const resumed = await runPipeline(
      CFG,
      engine,
      { stage: (s, st) => stages.push(`${s}:${st}`), hooksFor: () => quiet, shouldStop: () => false },
      {
        stage: checkpoint!.stage,
        step: checkpoint!.step,
        final: checkpoint!.final,
        models: checkpoint!.models,
        optimizer: checkpoint!.optimizer,
        rng: checkpoint!.rng,
        extra: checkpoint!.extra as PipelineCheckpoint['extra'],
      },
    );
    expect(stages[0]).toBe('pretrain:done'); // finished stages are not run again
    const strip = (l: (typeof full.stages.ppo.log)[number]) => ({ ...l, rolloutSeconds: 0, scoreSeconds: 0, updateSeconds: 0 });
    expect(resumed.stages.ppo.log.map(strip)).toEqual(full.stages.ppo.log.map(strip));
    expect(resumed.eval.labeler_score).toEqual(full.eval.labeler_score);
    expect(resumed.eval.winrate_ppo_vs_sft).toBe(full.eval.winrate_ppo_vs_sft);
    expect(resumed.stages.rm).toEqual(full.stages.rm);
  } finally {
    db.close();
    await deleteDB(name);
  }
});

/** The user's own labels (task prompts, so they fit the layout): 12 demonstrations and 6 K-way rankings. */
function userLabels(): UserData {
  const task = getTask(CFG.task);
  const rng = new Rng('user-labels');
  const prompts = task.prompts(rng.fork('p'), { train: 18, val: 0, test: 0 }).train;
  return {
    mode: 'mix',
    demonstrations: prompts.slice(0, 12).map((prompt) => ({ prompt, completion: task.demonstrate(prompt, rng) })),
    rankings: prompts.slice(12).map((prompt) => ({ prompt, ranking: task.candidates(prompt, rng, CFG.rm.k) })),
  };
}

test('a resumed run trains on the user data stored with its record, not on none', async () => {
  const engine = await initBackend('wasm');
  const user = userLabels();
  const saved: PipelineCheckpoint[] = [];
  const full = await runPipeline(
    CFG,
    engine,
    { stage: () => {}, hooksFor: () => quiet, shouldStop: () => false, checkpoint: async (c) => void saved.push(c) },
    undefined,
    user,
  );

  const name = `resume-user-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const run = await createRun(db, { name: 'with labels', task: CFG.task, preset: CFG.preset, seed: CFG.seed, config: CFG, userData: user });
    const pre = saved[0]; // end of pretraining: SFT and the RM are still to come, and they use the labels
    expect(`${pre.stage}:${pre.final}`).toBe('pretrain:true');
    await saveCheckpoint(db, {
      runId: run.id,
      stage: pre.stage,
      step: pre.step,
      final: pre.final,
      models: pre.models,
      optimizer: pre.optimizer,
      rng: pre.rng,
      extra: pre.extra,
    });
    db.close();

    // The worker's resume path: config, checkpoint and user data all come from the store.
    const loaded = await loadResume(run.id, () => {}, name);
    expect(loaded.userData).toEqual(user);
    const resumed = await runPipeline(
      loaded.config,
      engine,
      { stage: () => {}, hooksFor: () => quiet, shouldStop: () => false },
      loaded.checkpoint,
      loaded.userData,
    );
    expect(withoutTimes(resumed.stages.sft)).toEqual(withoutTimes(full.stages.sft));
    expect(withoutTimes(resumed.stages.rm)).toEqual(withoutTimes(full.stages.rm));
    expect(resumed.eval.labeler_score).toEqual(full.eval.labeler_score);

    // Without the labels the same checkpoint gives another SFT: the test above can tell.
    const without = await runPipeline(loaded.config, engine, { stage: () => {}, hooksFor: () => quiet, shouldStop: () => false }, loaded.checkpoint);
    expect(without.stages.sft.loss_last).not.toBe(full.stages.sft.loss_last);
  } finally {
    db.close();
    await deleteDB(name);
  }
});

test('pretraining and SFT autosave mid-stage; resumed there (through the store), they give the same losses', async () => {
  const engine = await initBackend('wasm');
  // Losses per stage, step by step, as the page receives them.
  const recorder = () => {
    const losses: Record<string, number[]> = { pretrain: [], sft: [] };
    return {
      losses,
      hooksFor: (stage: string) => ({ ...quiet, metrics: (m: { values: Record<string, number[]> }) => void losses[stage]?.push(...(m.values.loss ?? [])) }),
    };
  };
  const saved: PipelineCheckpoint[] = [];
  const a = recorder();
  // Every 8 steps: not a multiple of the pipeline's 10-step log interval, so autosaves fall between log points.
  const full = await runPipeline(CFG, engine, {
    stage: () => {},
    hooksFor: a.hooksFor,
    shouldStop: () => false,
    lmCheckpointEvery: 8,
    checkpoint: async (c) => void saved.push(c),
  });
  expect(saved.map((c) => `${c.stage}:${c.step}:${c.final}`).slice(0, 8)).toEqual([
    'pretrain:8:false',
    'pretrain:16:false',
    'pretrain:24:false',
    'pretrain:32:false',
    'pretrain:40:true',
    'sft:8:false',
    'sft:16:false',
    'sft:20:true',
  ]);
  expect(a.losses.pretrain).toHaveLength(40);
  expect(a.losses.sft).toHaveLength(20);
  const midSft = saved[5];
  expect(Object.keys(midSft.models).sort()).toEqual(['base', 'sft']);
  expect([...midSft.optimizer!.lm.keys()]).toContain('m/wte.weight');
  expect(midSft.extra.lm).toMatchObject({ step: 8, losses: a.losses.sft.slice(0, 8) });
  expect(midSft.extra.lm!.metricCounts.loss).toBe(8);

  const name = `resume-lm-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const run = await createRun(db, { name: 'mid-stage', task: CFG.task, preset: CFG.preset, seed: CFG.seed, config: CFG });
    for (const at of [saved[2], midSft]) {
      await saveCheckpoint(db, {
        runId: run.id,
        stage: at.stage,
        step: at.step,
        final: at.final,
        models: at.models,
        optimizer: at.optimizer,
        rng: at.rng,
        extra: at.extra,
      });
      const { checkpoint } = await latestGoodCheckpoint(db, run.id);
      const b = recorder();
      const stages: string[] = [];
      const resumed = await runPipeline(
        CFG,
        engine,
        { stage: (s, st, msg) => stages.push(`${s}:${st}:${msg ?? ''}`), hooksFor: b.hooksFor, shouldStop: () => false },
        {
          stage: checkpoint!.stage,
          step: checkpoint!.step,
          final: checkpoint!.final,
          models: checkpoint!.models,
          optimizer: checkpoint!.optimizer,
          rng: checkpoint!.rng,
          extra: checkpoint!.extra as PipelineCheckpoint['extra'],
        },
      );
      expect(stages).toContain(`${at.stage}:running:resuming at step ${at.step}`);
      // The steps after the checkpoint have exactly the losses of the uninterrupted run.
      expect(b.losses[at.stage]).toEqual(a.losses[at.stage].slice(at.step));
      expect(withoutTimes(resumed.stages.pretrain)).toEqual(withoutTimes(full.stages.pretrain));
      expect(withoutTimes(resumed.stages.sft)).toEqual(withoutTimes(full.stages.sft));
      expect(withoutTimes(resumed.stages.rm)).toEqual(withoutTimes(full.stages.rm));
      expect(resumed.eval.labeler_score).toEqual(full.eval.labeler_score);
    }
  } finally {
    db.close();
    await deleteDB(name);
  }
});

test('a run started from an imported SFT model skips pretraining and SFT and trains the RM and PPO from its weights', async () => {
  const engine = await initBackend('wasm');
  const weights = initialWeights(PRESETS[CFG.preset], 11);
  const stages: string[] = [];
  const saved: PipelineCheckpoint[] = [];
  const report = await runPipeline(
    CFG,
    engine,
    {
      stage: (s, st, msg) => stages.push(`${s}:${st}:${msg ?? ''}`),
      hooksFor: () => quiet,
      shouldStop: () => false,
      checkpoint: async (c) => void saved.push(c),
    },
    importedSftCheckpoint(weights, 'sft.zip › sft'),
  );
  expect(stages.slice(0, 3)).toEqual([
    'pretrain:done:skipped: started from the imported model sft.zip › sft',
    'sft:done:skipped: started from the imported model sft.zip › sft',
    'rm:running:sampling responses to rank…',
  ]);
  expect(report.stages.pretrain.steps).toBe(0);
  expect(report.stages.sft.steps).toBe(0);
  expect(report.stages.rm.steps).toBe(CFG.rm.steps);
  expect(report.stages.ppo.iterations).toBe(CFG.ppo.iterations);
  // The frozen reference and the base are the imported weights, bit for bit.
  const last = saved[saved.length - 1];
  expect(last.models.sft.get('wte.weight')).toEqual(weights.get('wte.weight'));
  expect(last.models.base.get('h.0.attn.c_attn.weight')).toEqual(weights.get('h.0.attn.c_attn.weight'));
});
