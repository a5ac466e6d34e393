import { describe, expect, test, vi } from 'vitest';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';
import { pipelineData } from '../../src/rlhf/pipelineData';
import { promptCapacityProblem, promptNeeds, setupProblems } from '../../src/rlhf/promptNeeds';
import { setSetting } from '../../src/state/configKeys';
import { presetValues, SETTINGS_PRESETS } from '../../src/state/presets';
import { getTask } from '../../src/tasks';
import { TASK_NAMES } from '../../src/tasks/types';
import { decode } from '../../src/model/tokenizer';
import { Rng } from '../../src/util/rng';

/** The pipeline's setup for a task and one of the app's settings presets (what its button applies). */
function setupFor(task: string, presetId: string, seed = 1): PipelineConfig {
  const cfg = structuredClone({ ...DEFAULT_PIPELINE, task, seed }) as PipelineConfig;
  for (const [k, v] of Object.entries(
    presetValues(
      SETTINGS_PRESETS.find((p) => p.id === presetId)!,
      task,
    ),
  ))
    setSetting(cfg, k, v);
  return cfg;
}

// Generating and scanning a whole corpus per preset takes seconds; give a loaded machine room.
vi.setConfig({ testTimeout: 120_000 });

const cases = TASK_NAMES.flatMap((task) => SETTINGS_PRESETS.map((p) => [task, p.id] as const));

describe('the data plan of a run', () => {
  test.each(cases)('%s · %s: the setup fits the task, and no evaluation prompt is in any training text', (taskName, presetId) => {
    const cfg = setupFor(taskName, presetId, 7);
    expect(setupProblems(cfg)).toEqual([]);
    const task = getTask(taskName);
    const d = pipelineData(cfg, task, new Rng(cfg.seed), Math.min(cfg.pretrain.seqLen, 64));
    const need = promptNeeds(cfg);
    expect(d.testPrompts.length).toBe(need.test);
    expect(d.evalPrompts).toEqual(d.testPrompts);

    // Every text a model trains on, or that is shown or probed while it trains.
    const corpus = decode(Array.from(d.stream));
    const trainingTexts = [
      corpus,
      ...d.demos.flatMap((x) => [x.prompt, x.response]),
      ...d.rmPrompts,
      ...d.ppoPrompts,
      ...d.sftPrompts,
      // candidates may top up ranking sets: they must not carry other prompts either
      ...d.rmPrompts.slice(0, 200).flatMap((p) => task.candidates(p, new Rng(p), 9)),
    ];
    const shownWhileTraining = [...d.probePrompts, ...d.samplePrompts, ...d.rmHeldoutPrompts];
    const leaks = (texts: string[], prompts: string[]) => prompts.filter((p) => texts.some((t) => t.includes(p)));
    expect(leaks(trainingTexts, d.testPrompts)).toEqual([]);
    expect(leaks(shownWhileTraining, d.testPrompts)).toEqual([]);
    // validation prompts (held-out RM sets, probe, dev evaluation) stay out of training text too
    const devSet = pipelineData({ ...cfg, eval: { ...cfg.eval, split: 'val' } }, task, new Rng(cfg.seed), 64).evalPrompts;
    expect(leaks(trainingTexts, [...d.rmHeldoutPrompts, ...d.probePrompts, ...devSet])).toEqual([]);
    expect(leaks([...devSet], d.testPrompts)).toEqual([]);
  });

  test('the dev set is validation prompts of the test split’s size, and changes nothing else', () => {
    const cfg = setupFor('instructions', 'tiny');
    const dev = { ...cfg, eval: { ...cfg.eval, split: 'val' as const } };
    const a = pipelineData(cfg, getTask(cfg.task), new Rng(1), 64);
    const b = pipelineData(dev, getTask(cfg.task), new Rng(1), 64);
    expect(b.evalPrompts.length).toBe(a.evalPrompts.length);
    expect(b.evalPrompts.some((p) => a.testPrompts.includes(p))).toBe(false);
    expect({ ...b, evalPrompts: [] }).toEqual({ ...a, evalPrompts: [] });
  });
});

describe('prompt capacity', () => {
  test('a setup that needs more prompts than its task has is refused, naming the settings', () => {
    const cfg = setupFor('sentiment', 'tiny');
    cfg.rm.trainPrompts = 10_000;
    const problems = setupProblems(cfg);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/sentiment task has \d+/);
    expect(problems[0]).toMatch(/rm\.trainPrompts 10000/);
    expect(promptCapacityProblem(setupFor('sentiment', 'tiny'), getTask('sentiment'))).toBe('');
  });

  test.each(TASK_NAMES)('%s: every preset fits with room (at least 25% spare)', (taskName) => {
    const task = getTask(taskName);
    for (const p of SETTINGS_PRESETS) {
      const n = promptNeeds(setupFor(taskName, p.id));
      expect(n.train + n.val + n.test, p.id).toBeLessThanOrEqual(0.75 * task.promptCapacity);
    }
  });

  test.each(TASK_NAMES)('%s: the splits never share text, even as substrings', (taskName) => {
    const task = getTask(taskName);
    const s = task.prompts(new Rng(5), { train: 3000, val: 500, test: 300 });
    const held = [...s.val, ...s.test];
    expect(s.train.filter((t) => held.some((h) => t.includes(h) || h.includes(t)))).toEqual([]);
    expect(s.val.filter((v) => s.test.some((t) => t.includes(v) || v.includes(t)))).toEqual([]);
  });
});

describe('splits are stable', () => {
  test.each(TASK_NAMES)('%s: more RM prompts change neither the evaluation prompts nor the SFT prompts', (taskName) => {
    const task = getTask(taskName);
    const a = setupFor(taskName, 'tiny', 3);
    const b = structuredClone(a);
    b.rm.trainPrompts = a.rm.trainPrompts + 1000;
    const da = pipelineData(a, task, new Rng(3), 64);
    const db = pipelineData(b, task, new Rng(3), 64);
    expect(db.testPrompts).toEqual(da.testPrompts);
    expect(db.rmHeldoutPrompts).toEqual(da.rmHeldoutPrompts);
    expect(db.sftPrompts).toEqual(da.sftPrompts);
    expect(db.rmPrompts.slice(0, a.rm.trainPrompts)).toEqual(da.rmPrompts);
    const dev = (c: PipelineConfig) => pipelineData({ ...c, eval: { ...c.eval, split: 'val' } }, task, new Rng(3), 64).evalPrompts;
    expect(dev(b)).toEqual(dev(a));
  });
});
