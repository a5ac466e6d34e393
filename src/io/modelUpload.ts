import { unzipSync, strFromU8 } from 'fflate';
import { PRESETS, type GPTConfig, type PresetName } from '../model/config';
import { importModel, type Weights } from './modelFiles';

/**
 * The user's chosen files → one language model to start a run from: either `model.safetensors`
 * and `config.json` picked together, or a zip exported from a run (its `sft/` folder, or its only
 * model). Pure (no DOM). Every failure is an Error whose message is plain text for the user.
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

/** The two files of one model, from the files picked or from inside a zip. */
function modelFilesOf(files: PickedFile[]): { safetensors: Uint8Array; config: string; source: string } {
  const zip = files.find((f) => f.name.toLowerCase().endsWith('.zip'));
  if (zip) {
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(zip.bytes);
    } catch {
      throw new Error(`${zip.name} is not a readable zip file.`);
    }
    const folders = [...new Set(Object.keys(entries).filter((p) => baseName(p) === 'model.safetensors').map((p) => p.slice(0, p.length - 'model.safetensors'.length)))];
    if (!folders.length) throw new Error(`${zip.name} holds no model.safetensors.`);
    const folder = folders.includes('sft/') ? 'sft/' : folders.length === 1 ? folders[0] : null;
    if (folder === null) {
      throw new Error(`${zip.name} holds several models (${folders.map((f) => f.replace(/\/$/, '')).join(', ')}) and no “sft” folder: pick the files of one model.`);
    }
    const config = entries[`${folder}config.json`];
    if (!config) throw new Error(`${zip.name} has no config.json next to ${folder}model.safetensors.`);
    return { safetensors: entries[`${folder}model.safetensors`], config: strFromU8(config), source: `${zip.name} › ${folder.replace(/\/$/, '') || 'model'}` };
  }
  const weights = files.find((f) => f.name.toLowerCase().endsWith('.safetensors'));
  const config = files.find((f) => f.name.toLowerCase().endsWith('.json') && baseName(f.name) !== 'vocab.json' && baseName(f.name) !== 'special_tokens_map.json');
  if (!weights || !config) {
    throw new Error('Choose a model’s model.safetensors and config.json together (hold Ctrl or ⌘ to select both), or the zip exported from a run.');
  }
  return { safetensors: weights.bytes, config: new TextDecoder().decode(config.bytes), source: weights.name };
}

/** Reads the picked files as a language model (never a reward or value model). */
export function readUploadedModel(files: PickedFile[]): UploadedModel {
  const { safetensors, config, source } = modelFilesOf(files);
  let model: ReturnType<typeof importModel>;
  try {
    model = importModel({ safetensors, config });
  } catch (e) {
    throw new Error(`The model in ${source} could not be read: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (model.head !== 'lm') throw new Error(`${source} is a reward or value model (it has a score head); a run starts from a language model (an SFT model).`);
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
  return `The model (${describe(model)}) does not have the shape of the “${preset}” model size in the settings (${describe(want)}). ` +
    (match ? `It has the shape of “${match}”: choose that model size, then import again.` : 'No model size of this app has that shape.');
}
