import { expect, test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { runPipeline, type PipelineReport } from '../../src/rlhf/pipeline';
import type { CheckpointExtra } from '../../src/rlhf/pipelineTypes';
import { judgedPolicyCheckpoint, judgeShapeProblem } from '../../src/rlhf/judgedStart';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';
import { exportBundle } from '../../src/io/exportBundle';
import { readUploadedModel, type UploadedModel } from '../../src/io/modelUpload';
import { exportModel } from '../../src/io/modelFiles';
import { deleteDB } from 'idb';
import { openDb, type Db } from '../../src/store/db';
import { createRun, getRun, updateRun, type RunRecord } from '../../src/store/runs';
import { saveCheckpoint } from '../../src/store/checkpoints';
import { latestGoodCheckpoint } from '../../src/store/latestGoodCheckpoint';
import { createForkRun } from '../../src/store/forkRun';
import { loadResume } from '../../src/worker/pipelineRun';
import { MICRO_PIPELINE, QUIET_HOOKS } from './helpers';

const MICRO = MICRO_PIPELINE;
const quiet = QUIET_HOOKS;

/** The judge fork of the page (state/judge.svelte.ts), on a given store: the run's end of PPO with `policy` in place of its own. */
function judgeFork(db: Db, source: RunRecord, policy: UploadedModel) {
  return createForkRun(
    db,
    source,
    'eval',
    { name: `${source.name} · judged`, task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO },
    {
      policy: policy.source,
      replace: (from) =>
        judgedPolicyCheckpoint({ stage: from.stage, step: from.step, final: from.final, models: from.models, extra: from.extra as CheckpointExtra }, policy, {
          id: source.id,
          name: source.name,
          model: PRESETS.micro,
          eval: (source.report as PipelineReport | undefined)?.eval ?? null,
        }),
    },
  );
}

test('judging a run’s own exported PPO policy reproduces the run’s own evaluation exactly; only the evaluation runs', async () => {
  const engine = await initBackend('wasm');
  const name = `judge-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    const created = await createRun(db, { name: 'the source', task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO });
    const own = (await runPipeline(MICRO, engine, {
      ...quiet,
      ppoCheckpointEvery: Number.MAX_SAFE_INTEGER,
      checkpoint: async (c) => void (await saveCheckpoint(db, { runId: created.id, ...c })),
    }))!;
    await updateRun(db, created.id, { report: own }); // the report as the page records it with the run
    const source = (await getRun(db, created.id))!;

    // The run's models exported as the user downloads them ("Export models"), and its policy read back by the judge's import.
    const { checkpoint } = await latestGoodCheckpoint(db, created.id);
    const zip = exportBundle(PRESETS.micro, checkpoint!.models, { run: source.name });
    const policy = readUploadedModel([{ name: 'the-source.zip', bytes: zip }], 'policy');
    expect(policy.source).toBe('the-source.zip › policy');

    const { run } = await judgeFork(db, source, policy);
    expect(run.forkedFrom).toEqual({ runId: source.id, runName: 'the source', stage: 'eval', policy: 'the-source.zip › policy' });
    db.close();

    const loaded = await loadResume(run.id, () => {}, name);
    expect(loaded.checkpoint.extra.judged?.policy).toBe('the-source.zip › policy');
    expect(loaded.checkpoint.models.ema).toBeUndefined();
    const ran: string[] = [];
    const report = (await runPipeline(loaded.config, engine, { ...quiet, stage: (s, st) => void (st === 'running' && ran.push(s)) }, loaded.checkpoint))!;
    expect(ran).toEqual(['eval']);
    // Same seed, same prompts, same labelers, the same policy: the same numbers, to the last bit.
    expect(report.eval).toEqual(own.eval);
    expect(report.judged).toEqual({ policy: 'the-source.zip › policy', run_id: source.id, run_name: 'the source', run_eval: own.eval });
    expect(report.stages.ppo.iterations).toBe(own.stages.ppo.iterations);

    // Another policy (random weights): its own answers, beside the run's base and SFT answers, unchanged.
    const other = exportModel(PRESETS.micro, initialWeights(PRESETS.micro, 11), 'lm');
    const random = readUploadedModel([
      { name: 'model.safetensors', bytes: other['model.safetensors'] },
      { name: 'config.json', bytes: new TextEncoder().encode(other['config.json']) },
    ]);
    const db2 = await openDb(name);
    const second = await judgeFork(db2, source, random).finally(() => db2.close());
    const judged = (await runPipeline(MICRO, engine, quiet, (await loadResume(second.run.id, () => {}, name)).checkpoint))!;
    expect(judged.eval.labeler_score.sft).toBe(own.eval.labeler_score.sft);
    expect(judged.eval.samples.map((x) => [x.prompt, x.base, x.sft])).toEqual(own.eval.samples.map((x) => [x.prompt, x.base, x.sft]));
    expect(judged.eval.samples.map((x) => x.ppo)).not.toEqual(own.eval.samples.map((x) => x.ppo));
    expect(judged.eval.pretrain_loss.ppo).toBeGreaterThan(own.eval.pretrain_loss.ppo); // random weights know no language
  } finally {
    db.close();
    await deleteDB(name);
  }
});

test('a policy of another shape is refused with what differs, and nothing is created', async () => {
  const name = `judge-mismatch-${Date.now()}`;
  const db = await openDb(name);
  try {
    const source = await createRun(db, { name: 'micro run', task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO });
    const weights = initialWeights(PRESETS.micro, 1);
    // a stand-in end-of-PPO checkpoint: the refusal comes before any model is built
    await saveCheckpoint(db, {
      runId: source.id,
      stage: 'ppo',
      step: 3,
      final: true,
      models: { base: weights, sft: weights, policy: weights },
      extra: { summaries: {} },
    });
    const tiny = exportModel(PRESETS.tiny, initialWeights(PRESETS.tiny, 2), 'lm');
    const policy = readUploadedModel([
      { name: 'model.safetensors', bytes: tiny['model.safetensors'] },
      { name: 'config.json', bytes: new TextEncoder().encode(tiny['config.json']) },
    ]);
    await expect(judgeFork(db, source, policy)).rejects.toThrow(
      'The imported policy does not have the shape of “micro run”’s model: n_embd 64 (the run’s: 32), n_layer 2 (the run’s: 1), n_head 4 (the run’s: 2).',
    );
    expect((await db.getAll('runs')).map((r) => r.name)).toEqual(['micro run']); // nothing half-made left behind
    // another vocabulary (a different tokenizer) says so
    expect(judgeShapeProblem({ ...PRESETS.micro, vocabSize: 50257 }, PRESETS.micro, 'micro run')).toMatch(
      /vocab_size 50257 \(the run’s: 100\)\. A different vocabulary is a different tokenizer/,
    );
  } finally {
    db.close();
    await deleteDB(name);
  }
});
