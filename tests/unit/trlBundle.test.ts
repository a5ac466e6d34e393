import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { trlBundle } from '../../src/io/trlBundle';
import { foldScoreBias } from '../../src/io/scoreBiasFold';
import { trlSettings } from '../../src/io/trlSettings';
import { importModel } from '../../src/io/modelFiles';
import { parseJsonlBytes } from '../../src/io/jsonl';
import { ADAMW_DEFAULTS } from '../../src/model/optim';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';
import { DEFAULT_PIPELINE } from '../../src/rlhf/config';
import type { RunData } from '../../src/rlhf/pipelineTypes';

const cfg = PRESETS.micro;

describe('foldScoreBias', () => {
  it("moves the score's bias into ln_f.bias: w·h + b is unchanged for any normalised input", () => {
    const w = new Map(initialWeights(cfg, 4));
    w.set(
      'score.weight',
      Float32Array.from({ length: cfg.dModel }, (_, i) => Math.cos(i) * 0.3),
    );
    w.set('score.bias', Float32Array.of(-1.7));
    const folded = foldScoreBias(w);
    expect(folded.get('score.bias')).toEqual(Float32Array.of(0));
    const [g, beta, betaF, sw] = ['ln_f.weight', 'ln_f.bias', 'ln_f.bias', 'score.weight'].map((k, i) => (i === 2 ? folded : w).get(k)!);
    for (let trial = 0; trial < 5; trial++) {
      const n = Float32Array.from({ length: cfg.dModel }, (_, i) => Math.sin(7 * i + trial));
      let before = -1.7;
      let after = 0;
      for (let i = 0; i < cfg.dModel; i++) {
        before += sw[i] * (g[i] * n[i] + beta[i]);
        after += sw[i] * (g[i] * n[i] + betaF[i]);
      }
      expect(Math.abs(after - before)).toBeLessThan(1e-5);
    }
    // nothing to fold: the same map back
    const zero = new Map(w).set('score.bias', Float32Array.of(0));
    expect(foldScoreBias(zero)).toBe(zero);
  });
});

describe('trlSettings', () => {
  it("uses the app's AdamW in every trainer's config, and the pinned TRL version", () => {
    const s = trlSettings(DEFAULT_PIPELINE, 16);
    const adamw = {
      weight_decay: ADAMW_DEFAULTS.weightDecay,
      adam_beta1: ADAMW_DEFAULTS.beta1,
      adam_beta2: ADAMW_DEFAULTS.beta2,
      max_grad_norm: ADAMW_DEFAULTS.gradClip,
    };
    for (const config of [s.sft_config, s.reward_config, s.rloo_config]) expect(config).toMatchObject(adamw);
    const requirements = readFileSync(new URL('../../python/requirements.txt', import.meta.url), 'utf8');
    expect(requirements).toMatch(new RegExp(`^trl==${s.trl_version.replace(/\./g, '\\.')}$`, 'm'));
  });
  it('maps β, clip, lr and batch sizes, and lists ptx, γ/λ, the K-way loss and the labelers as having no equivalent', () => {
    const s = trlSettings(DEFAULT_PIPELINE, 16);
    expect(s.rloo_config).toMatchObject({
      beta: 0.02,
      epsilon: 0.2,
      learning_rate: 3e-4,
      per_device_train_batch_size: 32,
      steps_per_generation: 2,
      max_steps: 40,
    });
    expect(s.reward_config).toMatchObject({ learning_rate: 1.3e-3, per_device_train_batch_size: 8 * 15, max_steps: 500 });
    const none = s.no_equivalent.map((n) => n.app);
    for (const key of ['ppo.ptxCoef', 'ppo.gamma', 'ppo.lambda', 'rm K-way loss', 'agreement', 'ppo.adaptiveKl']) expect(none).toContain(key);
  });
});

describe('trlBundle', () => {
  const data: RunData = {
    demonstrations: [{ prompt: 'Say hi.', completion: 'hi' }],
    rankings: { train: [{ prompt: 'p', ranking: ['a', 'b', 'c'] }], heldout: [{ prompt: 'q', ranking: ['x', 'y'] }] },
    prompts: { train: ['t1', 't2'], val: ['v1'], test: ['s1'] },
  };
  const models = { sft: initialWeights(cfg, 1), policy: initialWeights(cfg, 2), reward: new Map(initialWeights(cfg, 3)) };
  models.reward.set('score.weight', new Float32Array(cfg.dModel).fill(0.1));
  models.reward.set('score.bias', Float32Array.of(0.5));
  const files = unzipSync(trlBundle({ runName: 'my `run`', cfg, config: DEFAULT_PIPELINE, maxResponseTokens: 16, models, data }));
  const text = (p: string) => strFromU8(files[p]);

  it('holds the models as HF folders the app imports again, and the data in TRL formats the app imports again', () => {
    for (const m of ['sft', 'policy', 'reward']) expect(files[`models/${m}/tokenizer_config.json`]).toBeDefined();
    const sft = importModel({ safetensors: files['models/sft/model.safetensors'], config: text('models/sft/config.json') });
    expect(sft.weights.get('wte.weight')).toEqual(models.sft.get('wte.weight'));
    const rm = importModel({ safetensors: files['models/reward/model.safetensors'], config: text('models/reward/config.json') });
    expect(rm.head).toBe('score');
    expect(rm.weights.get('score.bias')).toEqual(Float32Array.of(0)); // folded into ln_f.bias
    expect(parseJsonlBytes(files['data/sft.jsonl'])).toMatchObject({ kind: 'demonstrations', rows: data.demonstrations });
    expect(parseJsonlBytes(files['data/sft_conversational.jsonl'])).toMatchObject({
      kind: 'demonstrations',
      shape: 'conversational',
      rows: data.demonstrations,
    });
    const pairs = parseJsonlBytes(files['data/preferences_train.jsonl']);
    expect(pairs.ok && pairs.rows).toEqual([
      { prompt: 'p', chosen: 'a', rejected: 'b' },
      { prompt: 'p', chosen: 'a', rejected: 'c' },
      { prompt: 'p', chosen: 'b', rejected: 'c' },
    ]);
    expect(parseJsonlBytes(files['data/rankings_heldout.jsonl'])).toMatchObject({ kind: 'rankings', rows: data.rankings.heldout });
    expect(text('data/prompts_train.jsonl')).toBe('{"prompt":"t1"}\n{"prompt":"t2"}\n');
    expect(JSON.parse(text('trl_settings.json')).trainers.policy).toBe('RLOOTrainer');
  });
  it('has a README naming the run, the trainers and what has no equivalent', () => {
    const readme = text('README.md');
    expect(readme).toContain('# Continue in TRL: run `my  run `');
    expect(readme).toMatch(/RLOOTrainer/);
    expect(readme).toMatch(/`ppo.ptxCoef`/);
    expect(readme).toMatch(/3 pairs/);
  });
});
