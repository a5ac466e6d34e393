import { GPT_LIMITS, parameterCount } from '../model/config';
import { VOCAB_SIZE } from '../model/tokenizer';
import { gptConfigFromHf, type Gpt2Config } from './gpt2Layout';

/**
 * The limits on what a model import reads, checked before anything is allocated for it: a
 * `config.json` asking for 10⁹ layers, a header listing millions of tensors or a zip entry
 * declaring 4 GB is refused in words instead of hanging the tab or exhausting its memory.
 * Every preset fits with room (the largest, "larger", has 6 layers, d_model 256, 8 heads,
 * context 128 and 4.8 million parameters). README.md ("Export and import") names them.
 */
export const IMPORT_LIMITS = {
  /** config.json: the app's own ranges for a model (src/model/config.ts, GPT_LIMITS) */
  nLayer: GPT_LIMITS.nLayer.max,
  nEmbd: GPT_LIMITS.dModel.max,
  nHead: GPT_LIMITS.nHead.max,
  nPositions: GPT_LIMITS.contextLength.max,
  /** n_inner is at most this many times n_embd */
  mlpRatio: GPT_LIMITS.mlpRatio.max,
  /** the tokenizer's: exactly this */
  vocabSize: VOCAB_SIZE,
  /** 32 Mi ≈ 33.5 million parameters, 7× the largest preset (128 MiB of float32) */
  parameters: 32 * 2 ** 20,
  /** model.safetensors: tensors listed in its header, and the header's size */
  tensors: 1024,
  headerBytes: 1 << 20,
  /** config.json, as a file or inside a zip */
  configBytes: 1 << 20,
  /** model.safetensors, as a file or inside a zip: the header plus 4 bytes per parameter */
  modelFileBytes: 8 + (1 << 20) + 4 * 32 * 2 ** 20,
  /** a zip file as picked (an exported run of the largest preset is about 100 MB) */
  zipFileBytes: 512 * 2 ** 20,
  /** entries listed in a zip's central directory */
  zipEntries: 4096,
  /** an entry larger than `ratioFreeBytes` may inflate to at most this many times its compressed size */
  compressionRatio: 100,
  ratioFreeBytes: 1 << 20,
} as const;

const MiB = 2 ** 20;
/** "129 MB", "1 MB", "612 bytes": sizes in messages. */
export function formatSize(bytes: number): string {
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(bytes >= 10 * MiB ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

const millions = (n: number): string => `${+(n / 1e6).toFixed(1)} million`;

/**
 * What in a parsed config.json exceeds the limits (plain text, the field named; empty when it
 * fits). Arithmetic on the numbers only: nothing is allocated per layer or per parameter.
 */
export function configLimitProblems(hf: Gpt2Config, file = 'config.json'): string[] {
  const L = IMPORT_LIMITS;
  const problems: string[] = [];
  const cap = (field: string, value: number, max: number, what: string): void => {
    if (value > max) problems.push(`${file}: ${field} is ${value}; this app's models have at most ${max} ${what}`);
  };
  if (hf.vocabSize !== L.vocabSize) problems.push(`${file}: vocab_size is ${hf.vocabSize}; this app's tokenizer has ${L.vocabSize} tokens`);
  cap('n_layer', hf.nLayer, L.nLayer, 'layers');
  cap('n_embd', hf.nEmbd, L.nEmbd, 'dimensions (n_embd)');
  cap('n_head', hf.nHead, L.nHead, 'attention heads');
  cap('n_positions', hf.nPositions, L.nPositions, 'positions of context');
  if (hf.nEmbd <= L.nEmbd) cap('n_inner', hf.nInner, L.mlpRatio * hf.nEmbd, `MLP units (${L.mlpRatio} × n_embd)`);
  if (!problems.length && hf.nInner % hf.nEmbd !== 0) problems.push(`${file}: n_inner (${hf.nInner}) must be a multiple of n_embd (${hf.nEmbd})`);
  if (!problems.length) {
    const count = parameterCount(gptConfigFromHf(hf));
    if (count > L.parameters) problems.push(`${file} describes a model of ${millions(count)} parameters; this app imports at most ${millions(L.parameters)}`);
  }
  return problems;
}

export type ModelFileRole = 'zip' | 'safetensors' | 'config';

/** Why a picked file is too large to read at all ('' when it is not), from its size alone. */
export function pickedSizeProblem(name: string, size: number, role: ModelFileRole): string {
  const max = role === 'zip' ? IMPORT_LIMITS.zipFileBytes : role === 'safetensors' ? IMPORT_LIMITS.modelFileBytes : IMPORT_LIMITS.configBytes;
  if (size <= max) return '';
  const what = role === 'zip' ? 'a zip of models' : role === 'safetensors' ? 'the weights of a model this app can import' : 'a config.json';
  return `${name} is ${formatSize(size)}, too large for ${what} (at most ${formatSize(max)}).`;
}
