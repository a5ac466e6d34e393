import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PRESETS } from '../../src/model/config';
import { exampleMismatch, exampleSftCheckpoint, QUICK_SETTINGS, readExampleManifest } from '../../src/rlhf/exampleStart';
import { forkStage } from '../../src/rlhf/settingStages';
import { quickConfig, readExampleModels } from '../../src/state/exampleSetup';
import { exampleAbout, measuredText, resultText } from '../../src/state/exampleText';

/**
 * The shipped example run (public/example/, `npm run example`): its zip is the file its manifest hashes, and
 * it is still what the current code's Tiny preset and defaults train — so it never goes stale silently.
 */
const DIR = 'public/example';
const REBUILD = 'run `npm run example` to rebuild the shipped example';
const manifest = readExampleManifest(JSON.parse(readFileSync(`${DIR}/manifest.json`, 'utf8')));
const zip = new Uint8Array(readFileSync(`${DIR}/${manifest.file}`));

describe('the shipped example run', () => {
  test('its zip is the file its manifest hashes', () => {
    expect(createHash('sha256').update(zip).digest('hex'), `${DIR}/${manifest.file} does not match manifest.json: ${REBUILD}`).toBe(manifest.sha256);
    expect(zip.length).toBe(manifest.bytes);
  });

  test('it is the default task on the Tiny preset, and its pretraining and SFT settings are the ones the current code gives them', () => {
    expect([manifest.task, manifest.preset]).toEqual(['instructions', 'tiny']);
    // quickConfig: the current defaults with the Tiny preset for the example's task and seed, checked against the example's settings
    expect(() => quickConfig(manifest), `the Tiny preset or the defaults of pretraining/SFT changed: ${REBUILD}`).not.toThrow();
    expect(manifest.report.config).toEqual(manifest.config);
    expect(manifest.report.stages.sft.steps).toBe(manifest.checkpoint.step);
  });

  test('its quick-path measurement is of the current quick settings on the current defaults, on the test split', () => {
    const q = manifest.quick;
    expect(q, `manifest.json has no quick-path measurement: ${REBUILD}`).toBeDefined();
    expect(q!.settings).toEqual(QUICK_SETTINGS);
    const now = quickConfig(manifest);
    expect(forkStage(q!.report.config, now), `the quick path's settings or the defaults of the reward model, PPO or evaluation changed: ${REBUILD}`).toBe(null);
    expect(q!.report.eval.split ?? 'test').toBe('test');
    expect(q!.report.seed).toBe(manifest.seed);
  });

  test('its zip holds the base and SFT models of the Tiny shape, read back by the app’s import', () => {
    const { cfg, base, sft } = readExampleModels(zip, manifest.file);
    expect(cfg).toMatchObject({ dModel: PRESETS.tiny.dModel, nLayer: PRESETS.tiny.nLayer, nHead: PRESETS.tiny.nHead });
    expect(base.get('wte.weight')!.length).toBe(PRESETS.tiny.vocabSize * PRESETS.tiny.dModel);
    expect(base.get('wte.weight')).not.toEqual(sft.get('wte.weight'));
    const c = exampleSftCheckpoint({ base, sft }, 'the example');
    expect(c).toMatchObject({ stage: 'sft', final: true, extra: { imported: 'the example', summaries: { sft: { steps: 0 } } } });
    expect(Object.keys(c.models)).toEqual(['base', 'sft']);
  });

  test('a changed pretraining or SFT setting makes it stale, naming the setting and what to run; a changed RM setting does not', () => {
    const cfg = structuredClone(quickConfig(manifest));
    cfg.sft.steps += 1;
    expect(exampleMismatch(manifest.config, cfg)).toEqual([`sft.steps: ${manifest.config.sft.steps} → ${cfg.sft.steps}`]);
    expect(() => quickConfig(manifest, { 'eval.testPrompts': 64 })).toThrow(/eval\.testPrompts: 256 → 64.*npm run example/);
    expect(quickConfig(manifest, { 'ppo.iterations': 2 }).ppo.iterations).toBe(2);
    expect(() => readExampleManifest({ ...manifest, sha256: 'xyz' })).toThrow(/"sha256" must be 64 lower-case hex digits/);
  });

  test('its words say what was trained where', () => {
    expect(exampleAbout(manifest, quickConfig(manifest))).toMatch(/pretrained \d+ steps .* Here the reward model trains .* at β = 0\.05 \(a full run: 0\.02\)/);
    expect(measuredText(manifest)).toMatch(/PPO preferred to SFT on \d+% \(95% interval \d+%–\d+%\)/);
    expect(resultText(manifest.quick!.report)).toMatch(/Trained here in \d+ s: the reward model \(\d+ steps/);
  });
});
