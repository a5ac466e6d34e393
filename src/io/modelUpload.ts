import { PRESETS, type GPTConfig, type PresetName } from '../model/config';
import { IMPORT_LIMITS, pickedSizeProblem, type ModelFileRole } from './importLimits';
import { importModel, type ModelFileNames, type Weights } from './modelFiles';
import { listZipEntries, readZipEntry, type ZipEntry } from './zipEntries';
import { errorMessage } from '../util/errorMessage';

/**
 * The user's chosen files → one language model to start a run from: either `model.safetensors`
 * and `config.json` picked together, or a zip exported from a run (its `sft/` folder, or its only
 * model). Pure (no DOM). Every failure is an Error whose message is plain text for the user,
 * naming the file (and the entry, field or tensor); the limits are in importLimits.ts.
 */
export interface PickedFile {
  name: string;
  bytes: Uint8Array;
}

export interface UploadedModel {
  cfg: GPTConfig;
  weights: Weights;
  /** where it came from, for the run record: "run.zip › sft" or "model.safetensors" */
  source: string;
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const lower = (name: string): string => baseName(name).toLowerCase();

/** JSON files a Hugging Face model folder holds besides config.json: never taken for the config. */
const NOT_THE_CONFIG = new Set([
  'vocab.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'added_tokens.json',
  'preprocessor_config.json',
]);

export type ChosenFiles<T> = { zip: T } | { safetensors: T; config: T };

/**
 * Which of the picked files make the model, from their names (and sizes, when known) alone, so
 * nothing else is read: one zip, or one .safetensors with the file named config.json — a whole
 * Hugging Face folder may be picked (generation_config.json, tokenizer_config.json, … are not
 * the config). Throws an Error whose message is plain text for the user.
 */
export function chooseModelFiles<T extends { name: string; size?: number }>(files: T[]): ChosenFiles<T> {
  const zips = files.filter((f) => lower(f.name).endsWith('.zip'));
  let chosen: ChosenFiles<T>;
  if (zips.length > 1) throw new Error(`Pick one zip at a time (${zips.map((f) => f.name).join(', ')} were picked).`);
  if (zips.length === 1) chosen = { zip: zips[0] };
  else {
    const weights = files.filter((f) => lower(f.name).endsWith('.safetensors'));
    const named = weights.filter((f) => lower(f.name) === 'model.safetensors');
    const safetensors = named.length === 1 ? named[0] : weights.length === 1 ? weights[0] : undefined;
    if (weights.length > 1 && !safetensors) {
      throw new Error(
        `Several .safetensors files were picked (${weights.map((f) => f.name).join(', ')}): ` +
          'pick one model’s model.safetensors (a checkpoint split into shards cannot be imported).',
      );
    }
    const jsons = files.filter((f) => lower(f.name).endsWith('.json'));
    const exact = jsons.filter((f) => lower(f.name) === 'config.json');
    const others = jsons.filter((f) => !NOT_THE_CONFIG.has(lower(f.name)));
    const config = exact.length === 1 ? exact[0] : exact.length === 0 && others.length === 1 ? others[0] : undefined;
    if (!safetensors || !config) {
      const why =
        exact.length > 1
          ? ` (${exact.length} files are named config.json: pick one model’s files)`
          : !config && jsons.length
            ? ` (no config.json among ${jsons.map((f) => f.name).join(', ')})`
            : '';
      throw new Error(`Choose a model’s model.safetensors and config.json together (hold Ctrl or ⌘ to select both), or the zip exported from a run${why}.`);
    }
    chosen = { safetensors, config };
  }
  for (const [role, f] of Object.entries(chosen) as [ModelFileRole, T][]) {
    const problem = f.size === undefined ? '' : pickedSizeProblem(f.name, f.size, role);
    if (problem) throw new Error(problem);
  }
  return chosen;
}

function utf8(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${name} is not UTF-8 text.`);
  }
}

interface ModelBytes {
  safetensors: Uint8Array;
  config: string;
  names: ModelFileNames;
  source: string;
}

/** The two files of one model inside a zip: its `sft/` (or `policy/`) folder, else its only model. Only they are inflated. */
function modelInZip(zip: PickedFile, want: ModelRole): ModelBytes {
  let entries: ZipEntry[];
  try {
    entries = listZipEntries(zip.bytes);
  } catch (e) {
    throw new Error(`${zip.name} is not a readable zip file. ${errorMessage(e)}.`, { cause: e });
  }
  const folders = [
    ...new Set(entries.filter((e) => baseName(e.name) === 'model.safetensors').map((e) => e.name.slice(0, e.name.length - 'model.safetensors'.length))),
  ];
  if (!folders.length) throw new Error(`${zip.name} holds no model.safetensors.`);
  // an exported run's zip has sft/ and policy/; a "Continue in TRL" bundle has models/sft/ and models/policy/
  const named = folders.filter((f) => f === `${want}/` || f.endsWith(`/${want}/`));
  const folder = named.length === 1 ? named[0] : folders.length === 1 ? folders[0] : null;
  if (folder === null) {
    throw new Error(
      `${zip.name} holds several models (${folders.map((f) => f.replace(/\/$/, '')).join(', ')}) and no “${want}” folder: pick the files of one model.`,
    );
  }
  const entry = (path: string, max: number): Uint8Array | undefined => {
    const found = entries.filter((e) => e.name === path);
    if (found.length > 1) throw new Error(`${zip.name} holds ${found.length} entries named ${path}: which one is meant cannot be told.`);
    if (!found.length) return undefined;
    try {
      return readZipEntry(zip.bytes, found[0], max);
    } catch (e) {
      throw new Error(`${zip.name}: ${errorMessage(e)}.`, { cause: e });
    }
  };
  const names = { safetensors: `${folder}model.safetensors`, config: `${folder}config.json` };
  const config = entry(names.config, IMPORT_LIMITS.configBytes);
  if (!config) throw new Error(`${zip.name} has no config.json next to ${folder}model.safetensors.`);
  const configText = utf8(config, `${zip.name} › ${names.config}`);
  const safetensors = entry(names.safetensors, IMPORT_LIMITS.modelFileBytes)!;
  return { safetensors, config: configText, names, source: `${zip.name} › ${folder.replace(/\/$/, '') || 'model'}` };
}

/** Which model of an exported run's zip is meant: the SFT model (a run starts from it) or the PPO policy (to judge it). */
type ModelRole = 'sft' | 'policy';

/** Reads the picked files as a language model (never a reward or value model); from a run's zip, its `want` model. */
export function readUploadedModel(files: PickedFile[], want: ModelRole = 'sft'): UploadedModel {
  const chosen = chooseModelFiles(files.map((f) => ({ ...f, size: f.bytes.length })));
  const { safetensors, config, names, source } =
    'zip' in chosen
      ? modelInZip(chosen.zip, want)
      : {
          safetensors: chosen.safetensors.bytes,
          config: utf8(chosen.config.bytes, chosen.config.name),
          names: { safetensors: chosen.safetensors.name, config: chosen.config.name },
          source: chosen.safetensors.name,
        };
  let model: ReturnType<typeof importModel>;
  try {
    model = importModel({ safetensors, config, names });
  } catch (e) {
    throw new Error(`The model in ${source} could not be read: ${errorMessage(e)}.`, { cause: e });
  }
  if (model.head !== 'lm') {
    const meant = want === 'sft' ? 'a run starts from a language model (an SFT model)' : 'a policy is a language model';
    throw new Error(`${source} is a reward or value model (it has a score head); ${meant}.`);
  }
  return { cfg: model.cfg, weights: model.weights, source };
}

const SHAPE_KEYS = ['vocabSize', 'contextLength', 'dModel', 'nLayer', 'nHead', 'mlpRatio'] as const;
const sameShape = (a: GPTConfig, b: GPTConfig): boolean => SHAPE_KEYS.every((k) => a[k] === b[k]);
const describe = (c: GPTConfig): string => `d_model ${c.dModel}, ${c.nLayer} layer${c.nLayer === 1 ? '' : 's'}, ${c.nHead} heads, context ${c.contextLength}`;

/** Why the model does not fit the chosen preset ('' when it does), naming the preset it does fit. */
export function presetProblem(model: GPTConfig, preset: PresetName): string {
  const want = PRESETS[preset];
  if (!want) return `Unknown model size “${preset}”.`;
  if (sameShape(model, want)) return '';
  const match = (Object.keys(PRESETS) as PresetName[]).find((p) => sameShape(model, PRESETS[p]));
  return (
    `The model (${describe(model)}) does not have the shape of the “${preset}” model size in the settings (${describe(want)}). ` +
    (match ? `It has the shape of “${match}”: choose that model size, then import again.` : 'No model size of this app has that shape.')
  );
}
