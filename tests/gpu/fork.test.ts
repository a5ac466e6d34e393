import { expect, test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { runPipeline } from '../../src/rlhf/pipeline';
import type { PipelineConfig } from '../../src/rlhf/config';
import { deleteDB } from 'idb';
import { openDb } from '../../src/store/db';
import { createRun, getRun } from '../../src/store/runs';
import { saveCheckpoint } from '../../src/store/checkpoints';
import { createForkRun } from '../../src/store/forkRun';
import { loadResume } from '../../src/worker/pipelineRun';
import { MICRO_PIPELINE, QUIET_HOOKS, withoutTimes } from './helpers';

const MICRO = MICRO_PIPELINE;
const quiet = QUIET_HOOKS;

test('a saved run forked at the reward model (and at the evaluation) equals a from-scratch run of the new settings, running only the later stages', async () => {
  const engine = await initBackend('wasm');
  const name = `fork-test-${Date.now()}`;
  const db = await openDb(name);
  try {
    // The source: a saved run with its end-of-stage checkpoints in IndexedDB, as the app saves them.
    const created = await createRun(db, { name: 'the source', task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO });
    await runPipeline(MICRO, engine, {
      ...quiet,
      ppoCheckpointEvery: Number.MAX_SAFE_INTEGER,
      checkpoint: async (c) => void (await saveCheckpoint(db, { runId: created.id, ...c })),
    });
    const source = (await getRun(db, created.id))!;

    const atRm: PipelineConfig = { ...MICRO, rm: { ...MICRO.rm, lr: 2 * MICRO.rm.lr }, ppo: { ...MICRO.ppo, beta: 0.1 } };
    const atEval: PipelineConfig = { ...MICRO, eval: { ...MICRO.eval, split: 'val' } };
    const forks = [];
    for (const [stage, config] of [
      ['rm', atRm],
      ['eval', atEval],
    ] as const) {
      const { run } = await createForkRun(db, source, stage, { name: `fork at ${stage}`, task: config.task, preset: config.preset, seed: config.seed, config });
      expect(run.forkedFrom).toEqual({ runId: source.id, runName: 'the source', stage });
      forks.push({ id: run.id, stage, config, status: run.stageStatus });
    }
    expect(forks[0].status).toEqual({ pretrain: 'done', sft: 'done', rm: 'waiting', ppo: 'waiting' });
    expect(forks[1].status).toEqual({ pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' });
    db.close();

    for (const fork of forks) {
      // The worker's resume path: the fork's settings and its copy of the source's checkpoint, from the store.
      const loaded = await loadResume(fork.id, () => {}, name);
      expect(`${loaded.checkpoint.stage}:${loaded.checkpoint.final}`).toBe(fork.stage === 'rm' ? 'sft:true' : 'ppo:true');
      const ran: string[] = [];
      const report = await runPipeline(loaded.config, engine, { ...quiet, stage: (s, st) => void (st === 'running' && ran.push(s)) }, loaded.checkpoint);
      expect(ran).toEqual(fork.stage === 'rm' ? ['rm', 'ppo', 'eval'] : ['eval']);
      const scratch = await runPipeline(fork.config, engine, quiet);
      expect(withoutTimes(report)).toEqual(withoutTimes(scratch));
    }
  } finally {
    db.close();
    await deleteDB(name);
  }
});

test('a fork needs the end-of-stage checkpoint before its stage', async () => {
  const name = `fork-missing-${Date.now()}`;
  const db = await openDb(name);
  try {
    const source = await createRun(db, { name: 'no checkpoints', task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO });
    await expect(createForkRun(db, source, 'ppo', { name: 'x', task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO })).rejects.toThrow(
      /no intact checkpoint from the end of rm/,
    );
    expect((await db.getAll('runs')).map((r) => r.name)).toEqual(['no checkpoints']); // nothing half-made left behind
  } finally {
    db.close();
    await deleteDB(name);
  }
});
