import { describe, expect, test } from 'vitest';
import { doneMessage, headlineOf, headlineSource, percent, stageProgress, stageStatus } from '../../src/state/story';
import { aboutText, exampleReferenceOf, pipelineEta, referenceOf } from '../../src/state/pipelineEta';
import { readFileSync } from 'node:fs';
import { readExampleManifest } from '../../src/rlhf/exampleStart';
import { DEFAULT_PIPELINE } from '../../src/rlhf/config';
import type { PipelineReport } from '../../src/rlhf/pipelineTypes';

const RUN = {
  state: 'training' as const,
  stage: 'rm' as const,
  step: 5,
  total: 20,
  etaSeconds: 150,
  stages: [
    { stage: 'pretrain' as const, state: 'running' as const },
    { stage: 'pretrain' as const, state: 'done' as const, message: '60 steps, loss 2.712' },
    { stage: 'rm' as const, state: 'running' as const },
  ],
};

describe('the story diagram', () => {
  test('each stage: waiting, running with its progress and ETA, done with its message', () => {
    expect(stageStatus(RUN, 'pretrain')).toBe('done');
    expect(doneMessage(RUN, 'pretrain')).toBe('60 steps, loss 2.712');
    expect(stageStatus(RUN, 'rm')).toBe('running');
    expect(stageStatus(RUN, 'ppo')).toBe('waiting');
    expect(stageProgress(RUN, 'rm')).toEqual({ step: 5, total: 20, fraction: 0.25, eta: '3 min left' });
    expect(stageProgress({ ...RUN, etaSeconds: 40 }, 'rm')?.eta).toBe('40 s left');
    expect(stageProgress({ ...RUN, etaSeconds: 0 }, 'rm')?.eta).toBe('');
    expect(stageProgress(RUN, 'pretrain')).toBeNull();
    expect(stageProgress({ ...RUN, total: 0 }, 'rm')).toBeNull();
  });
  test('a run that failed or was stopped mid-stage says so', () => {
    expect(stageStatus({ ...RUN, state: 'failed' }, 'rm')).toBe('failed');
    expect(stageStatus({ ...RUN, state: 'stopped' }, 'rm')).toBe('stopped');
    expect(stageProgress({ ...RUN, state: 'stopped' }, 'rm')).toBeNull();
  });
  test('the headline: win rate with its interval, the labelers’ scores, which prompts', () => {
    expect(headlineOf(null)).toBeNull();
    const report = {
      config: { eval: { split: 'test' } },
      eval: { prompts: 256, winrate_ppo_vs_sft: 0.611, winrate_ci95: [0.56, 0.67], labeler_score: { base: 0.334, sft: 0.422, ppo: 0.544 } },
    } as unknown as PipelineReport;
    const h = headlineOf(report)!;
    expect(h).toMatchObject({ winrate: 0.611, ci95: [0.56, 0.67], prompts: 256, split: 'test' });
    expect(h.scores.map((s) => `${s.model} ${s.score}`)).toEqual(['base 0.334', 'SFT 0.422', 'PPO 0.544']);
    const dev = headlineOf({ ...report, eval: { ...report.eval, split: 'val', winrate_ci95: undefined } } as PipelineReport)!;
    expect(dev.split).toBe('dev');
    expect(dev.ci95).toBeNull();
    expect(percent(0.611)).toBe('61%');
    expect(percent(NaN)).toBe('–');
  });
});

const SAMPLES = [
  { prompt: 'p1', base: 'b', sft: 'good', ppo: 'bad' },
  { prompt: 'p2', base: 'b', sft: 'ok', ppo: 'best <b>x</b>' },
  { prompt: 'p3', base: 'b', sft: 'bad', ppo: 'ok' },
];
const SCORE = (_: string, r: string) => (r.startsWith('best') ? 0.9 : r === 'good' ? 0.7 : r === 'ok' ? 0.5 : 0.1);
const REPORT = {
  task: 'instructions',
  config: { eval: { split: 'test' } },
  eval: { prompts: 256, winrate_ppo_vs_sft: 0.611, winrate_ci95: [0.56, 0.67], labeler_score: { base: 0.334, sft: 0.422, ppo: 0.544 }, samples: SAMPLES },
} as unknown as PipelineReport;

describe('the headline’s sample pair, a judge run, a saved run', () => {
  test('the pair is the prompt where the judged answer beat SFT’s by the widest rubric margin, its texts as they are', () => {
    expect(headlineOf(REPORT, SCORE)!.pair).toEqual({ prompt: 'p2', sft: 'ok', policy: 'best <b>x</b>', sftScore: 0.5, policyScore: 0.9 });
    const lost = { ...REPORT, eval: { ...REPORT.eval, samples: [SAMPLES[0]] } } as PipelineReport;
    expect(headlineOf(lost, SCORE)!.pair).toBeNull();
    // by default the report's own task's rubric; a task the page does not know gives no pair
    expect(headlineOf({ ...REPORT, task: 'nope' } as PipelineReport)!.pair).toBeNull();
    const real = headlineOf(REPORT)!;
    expect(real.pair === null || real.pair.policyScore > real.pair.sftScore).toBe(true);
  });
  test('a judge run’s headline is the imported policy’s, not the run’s PPO', () => {
    const judged = { ...REPORT, judged: { policy: 'policy-trl/model.safetensors', run_id: 'r1', run_name: 'tiny run', run_eval: null } } as PipelineReport;
    const h = headlineOf(judged, SCORE)!;
    expect(h.policy).toBe('Imported policy');
    expect(h.judged).toEqual({ source: 'policy-trl/model.safetensors', runName: 'tiny run' });
    expect(h.scores.map((s) => s.model)).toEqual(['base', 'SFT', 'Imported policy']);
    expect(headlineOf(REPORT, SCORE)!).toMatchObject({ policy: 'PPO', judged: null });
  });
  test('after a reload the newest saved run’s headline, named; never while a run trains or after one ran here', () => {
    const idle = { state: 'idle' as const, stages: [], report: null };
    const saved = [
      { name: 'my run', report: REPORT },
      { name: 'older', report: REPORT },
    ];
    expect(headlineSource(idle, saved)).toEqual({ report: REPORT, savedRun: 'my run' });
    expect(headlineSource(idle, [{ name: 'stopped' }, ...saved])).toBeNull();
    expect(headlineSource({ ...idle, state: 'training' }, saved)).toBeNull();
    expect(headlineSource({ ...idle, state: 'stopped', stages: RUN.stages }, saved)).toBeNull();
    expect(headlineSource({ ...idle, state: 'done', report: REPORT }, saved)).toEqual({ report: REPORT, savedRun: null });
  });
});

describe('the whole pipeline’s ETA', () => {
  // a reference run: 10 s per pretraining and SFT step, 20 per RM step, 100 per PPO iteration, 1 per evaluation prompt
  const units = { pretrain: 10, sft: 10, rm: 5, ppo: 4, eval: 100 };
  const reference = { pretrain: 10, sft: 10, rm: 20, ppo: 100, eval: 1 };
  const base = { step: 5, total: 10, stageEta: 50, now: 150_000, units, reference };
  test('the running stage’s own ETA plus the later stages at the reference’s pace, scaled by this run’s', () => {
    // pretraining took 100 s as the reference would; SFT is halfway through 100 s: the rest at the reference's pace
    const stages = [
      { stage: 'pretrain' as const, state: 'running' as const, at: 0 },
      { stage: 'pretrain' as const, state: 'done' as const, at: 100_000 },
      { stage: 'sft' as const, state: 'running' as const, at: 100_000 },
    ];
    expect(pipelineEta({ ...base, stages })).toBeCloseTo(50 + 100 + 400 + 100, 6);
    // this run twice as slow as the reference: later stages twice as long
    const slow = [{ ...stages[0] }, { ...stages[1], at: 200_000 }, { ...stages[2], at: 200_000 }];
    expect(pipelineEta({ ...base, stages: slow, now: 300_000, stageEta: 100 })).toBeCloseTo(100 + 2 * 600, 6);
  });
  test('no estimate before the running stage is a tenth through, without a reference, or once nothing runs', () => {
    const stages = [{ stage: 'pretrain' as const, state: 'running' as const, at: 0 }];
    expect(pipelineEta({ ...base, stages, step: 0 })).toBeNull();
    expect(pipelineEta({ ...base, stages, stageEta: 0, step: 5 })).toBeNull();
    expect(pipelineEta({ ...base, stages, reference: null })).toBeNull();
    expect(pipelineEta({ ...base, stages: [...stages, { stage: 'pretrain', state: 'done', at: 1 }] })).toBeNull();
  });
  test('the evaluation (no steps): its reference time at this run’s pace, less what it has run', () => {
    const stages = [
      { stage: 'ppo' as const, state: 'running' as const, at: 0 },
      { stage: 'ppo' as const, state: 'done' as const, at: 800_000 },
      { stage: 'eval' as const, state: 'running' as const, at: 800_000 },
    ];
    expect(pipelineEta({ ...base, stages, now: 850_000 })).toBeCloseTo(2 * 100 - 50, 6);
  });
  test('the reference: seconds per unit of the newest whole finished run of the same task and preset', () => {
    const report = {
      config: DEFAULT_PIPELINE,
      seconds: 1000,
      stages: { pretrain: { seconds: 300 }, sft: { seconds: 175 }, rm: { seconds: 200, sampling_seconds: 50 }, ppo: { seconds: 200 } },
    } as unknown as PipelineReport;
    const me = { id: 'now', task: 'instructions', preset: 'tiny' };
    const per = referenceOf([{ id: 'ok', task: 'instructions', preset: 'tiny', report }], me)!;
    expect(per.pretrain).toBeCloseTo(300 / DEFAULT_PIPELINE.pretrain.steps, 9);
    expect(per.rm).toBeCloseTo(250 / DEFAULT_PIPELINE.rm.steps, 9);
    expect(per.eval).toBeCloseTo(75 / DEFAULT_PIPELINE.eval.testPrompts, 9);
    const list = [
      me,
      { id: 'f', task: 'instructions', preset: 'tiny', report, forkedFrom: { runId: 'x' } },
      { id: 's', task: 'sentiment', preset: 'tiny', report },
      { id: 'ok', task: 'instructions', preset: 'tiny', report },
    ];
    expect(referenceOf(list, me)).toEqual(per);
    expect(referenceOf(list.slice(0, 3), me)).toBeNull();
    expect(referenceOf(list, undefined)).toBeNull();
    // a first run: the shipped example's run serves for its own task and preset, and only for those
    const shipped = readExampleManifest(JSON.parse(readFileSync('public/example/manifest.json', 'utf8')));
    const fromExample = exampleReferenceOf(shipped, { id: 'first', task: shipped.task, preset: shipped.preset })!;
    const st = shipped.report.stages;
    expect(fromExample.pretrain).toBeCloseTo(st.pretrain.seconds / shipped.config.pretrain.steps, 9);
    expect(fromExample.rm).toBeCloseTo((st.rm.seconds + (st.rm.sampling_seconds ?? 0)) / shipped.config.rm.steps, 9);
    expect(fromExample.eval).toBeGreaterThan(0);
    expect(exampleReferenceOf(shipped, { id: 'first', task: 'sentiment', preset: shipped.preset })).toBeNull();
    expect(exampleReferenceOf(shipped, { id: 'first', task: shipped.task, preset: 'small' })).toBeNull();
    expect(exampleReferenceOf(null, me)).toBeNull();
    expect(aboutText(42)).toBe('about 40 s');
    expect(aboutText(400)).toBe('about 7 min');
  });
});
