import type { PipelineConfig } from '../rlhf/config';
import { QUICK_SETTINGS, exampleMismatch, type ExampleManifest } from '../rlhf/exampleStart';
import { IMPORT_LIMITS } from '../io/importLimits';
import { importModel, type Weights } from '../io/modelFiles';
import { listZipEntries, readZipEntry } from '../io/zipEntries';
import type { GPTConfig } from '../model/config';
import type { SettingValue } from '../share/link';
import { errorMessage } from '../util/errorMessage';
import { setSetting } from './configKeys';
import { presetConfig } from './presets';

/**
 * The shipped example's setup, without DOM or runes (the page, `npm run example` and the unit test share
 * it): the settings a preset gives a task (as the app's preset button and the runner's --preset apply
 * them), the quick path's settings, and the example's zip read back into its base and SFT models.
 */

/**
 * The settings of the quick path from the example: the example's task, preset and seed on the current
 * defaults, the lighter reward model ({@link QUICK_SETTINGS}), then `overrides` (the e2e test's lighter
 * run). Throws, saying to run `npm run example`, when pretraining or SFT would differ from the run that
 * made the example: its models would not be what these settings train.
 */
export function quickConfig(m: ExampleManifest, overrides: Record<string, SettingValue> = {}): PipelineConfig {
  const cfg = presetConfig(m.task, m.preset, m.seed);
  for (const [key, value] of Object.entries({ ...QUICK_SETTINGS, ...overrides })) setSetting(cfg, key, value);
  const stale = exampleMismatch(m.config, cfg);
  if (stale.length)
    throw new Error(
      `The shipped example was made with other pretraining or SFT settings than this version’s (${stale.join('; ')}): ` +
        'it is out of date — run `npm run example` to rebuild it.',
    );
  return cfg;
}

/** The lower-case hex of a SHA-256 digest. */
export function hexOf(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The example's zip (the app's model export: one Hugging Face GPT-2 folder per model) → its base and SFT models. */
export function readExampleModels(bytes: Uint8Array, name: string): { cfg: GPTConfig; base: Weights; sft: Weights } {
  let entries: ReturnType<typeof listZipEntries>;
  try {
    entries = listZipEntries(bytes);
  } catch (e) {
    throw new Error(`${name} is not a readable zip file: ${errorMessage(e)}`, { cause: e });
  }
  const read = (path: string, max: number): Uint8Array => {
    const entry = entries.find((e) => e.name === path);
    if (!entry) throw new Error(`${name} has no ${path}`);
    return readZipEntry(bytes, entry, max);
  };
  const model = (folder: 'base' | 'sft') => {
    const names = { safetensors: `${folder}/model.safetensors`, config: `${folder}/config.json` };
    const config = new TextDecoder().decode(read(names.config, IMPORT_LIMITS.configBytes));
    const m = importModel({ safetensors: read(names.safetensors, IMPORT_LIMITS.modelFileBytes), config, names });
    if (m.head !== 'lm') throw new Error(`${name} › ${folder} is not a language model`);
    return m;
  };
  const base = model('base');
  const sft = model('sft');
  if (JSON.stringify(base.cfg) !== JSON.stringify(sft.cfg)) throw new Error(`${name}: its base and SFT models differ in shape`);
  return { cfg: sft.cfg, base: base.weights, sft: sft.weights };
}
