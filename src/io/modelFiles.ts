import type { GPTConfig } from '../model/config';
import { paramSpecs, type Weights } from '../model/params';
import { BOS, EOS, PAD, SPECIAL_NAMES, vocabulary } from '../model/tokenizer';
import { encodeSafetensors, parseSafetensorsHeader, SafetensorsError, type SafetensorsHeader, type SafetensorsTensor } from './safetensors';
import { gpt2Config, Gpt2ConfigError, gptConfigFromHf, parseGpt2Config, type Gpt2Config } from './gpt2Layout';
import { configLimitProblems, formatSize, IMPORT_LIMITS } from './importLimits';
import { readModelTensors } from './modelTensors';

/**
 * A trained model as the files a Hugging Face GPT-2 implementation loads:
 *   model.safetensors  – the GPT-2 parameter names (wte, wpe, h.N.ln_1, h.N.attn.c_attn (fused QKV,
 *                        Conv1D orientation [in, out]), h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc,
 *                        h.N.mlp.c_proj, ln_f), float32, metadata {format: "pt"};
 *   config.json        – GPT2LMHeadModel (tied embeddings), or GPT2ForSequenceClassification for the
 *                        reward and value models;
 *   vocab.json, merges.txt, special_tokens_map.json – the character tokenizer written as a GPT-2
 *                        byte-level BPE with no merges (space is "Ġ", newline "Ċ", as GPT-2 spells them);
 *   tokenizer_config.json – `add_bos_token`, so HF's tokenizer writes BOS first as the app does (TRL then
 *                        gives prompt + response + "<eos>" exactly the app's [BOS … EOS]), and a chat
 *                        template with the same layout for TRL's conversational datasets (user turn,
 *                        then assistant turn and EOS; system turns are left out, as the import does).
 *                        Characters outside the alphabet differ: HF drops them, the app reads <unk>.
 * Reward/value models: `score.weight` is written as HF's [1, C] and `score.bias` [1] is added (HF's
 * GPT2ForSequenceClassification has no bias: add it to the output, or ignore it — it only shifts
 * scores). The importer reads these files back bit-exactly.
 */
export type { Weights };
export type ModelHead = 'lm' | 'score';

export interface ModelFiles {
  'model.safetensors': Uint8Array;
  'config.json': string;
  'vocab.json': string;
  'merges.txt': string;
  'special_tokens_map.json': string;
  'tokenizer_config.json': string;
}

/** The app's layout as a chat template: BOS, the user turn, the assistant turn and EOS; no separators. */
const CHAT_TEMPLATE =
  "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}{{ m['content'] }}" +
  "{% elif m['role'] == 'assistant' %}{% generation %}{{ m['content'] }}{{ eos_token }}{% endgeneration %}{% endif %}{% endfor %}";

/** GPT-2's byte-level spelling of our characters (only space and newline differ from ASCII). */
function gpt2Spelling(token: string): string {
  if (token === ' ') return 'Ġ';
  if (token === '\n') return 'Ċ';
  return token;
}

export function exportModel(cfg: GPTConfig, weights: Weights, head: ModelHead, metadata: Record<string, string> = {}): ModelFiles {
  const shapes = new Map(paramSpecs(cfg).map((s) => [s.name, s.shape]));
  const tensors: SafetensorsTensor[] = [];
  for (const [name, shape] of shapes) {
    const data = weights.get(name);
    if (!data) throw new Error(`the model has no parameter ${name}`);
    tensors.push({ name, dtype: 'F32', shape, data });
  }
  if (head === 'score') {
    const w = weights.get('score.weight');
    const b = weights.get('score.bias');
    if (!w || !b) throw new Error('a reward/value model needs score.weight and score.bias');
    tensors.push({ name: 'score.weight', dtype: 'F32', shape: [1, cfg.dModel], data: w }, { name: 'score.bias', dtype: 'F32', shape: [1], data: b });
  }
  const config = gpt2Config({
    vocabSize: cfg.vocabSize,
    nPositions: cfg.contextLength,
    nEmbd: cfg.dModel,
    nLayer: cfg.nLayer,
    nHead: cfg.nHead,
    nInner: cfg.mlpRatio * cfg.dModel,
    bosTokenId: BOS,
    eosTokenId: EOS,
    padTokenId: PAD,
    dropout: cfg.dropout,
    head,
    extra: { tokenizer_class: 'GPT2Tokenizer' },
  });
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries(vocabulary())) vocab[gpt2Spelling(token)] = id;
  const specials = { bos_token: SPECIAL_NAMES[BOS], eos_token: SPECIAL_NAMES[EOS], pad_token: SPECIAL_NAMES[PAD], unk_token: '<unk>' };
  return {
    'model.safetensors': encodeSafetensors(tensors, { format: 'pt', ...metadata }),
    'config.json': JSON.stringify(config, null, 2),
    'vocab.json': JSON.stringify(vocab),
    'merges.txt': '#version: 0.2\n',
    'special_tokens_map.json': JSON.stringify(specials),
    'tokenizer_config.json': JSON.stringify(
      {
        tokenizer_class: 'GPT2Tokenizer',
        ...specials,
        add_bos_token: true,
        add_eos_token: false,
        model_max_length: cfg.contextLength,
        chat_template: CHAT_TEMPLATE,
      },
      null,
      2,
    ),
  };
}

/** The names a model's two files go by in messages (a picked file's name, or its path in a zip). */
export interface ModelFileNames {
  safetensors: string;
  config: string;
}

/**
 * Reads exported files back: the model config, its weights (our orientation) and its head.
 * Hostile input gets a message naming the file and the field or tensor, before anything large is
 * allocated: config.json is capped (importLimits.ts) before any per-layer list is built, the
 * safetensors header before any tensor is copied, F16/BF16/F64 weights are converted to F32, and
 * NaN or ±Infinity weights are refused (modelTensors.ts).
 */
export function importModel(files: { safetensors: Uint8Array; config: string; names?: Partial<ModelFileNames> }): {
  cfg: GPTConfig;
  weights: Weights;
  head: ModelHead;
} {
  const names: ModelFileNames = { safetensors: 'model.safetensors', config: 'config.json', ...files.names };
  if (files.config.length > IMPORT_LIMITS.configBytes)
    throw new Error(`${names.config} is ${formatSize(files.config.length)}, too large for a config.json (at most ${formatSize(IMPORT_LIMITS.configBytes)})`);
  let json: unknown;
  try {
    json = JSON.parse(files.config);
  } catch (e) {
    throw new Error(`${names.config} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  let hf: Gpt2Config;
  try {
    hf = parseGpt2Config(json);
  } catch (e) {
    if (e instanceof Gpt2ConfigError) throw new Error(`${names.config}: ${e.problems.join('; ')}`, { cause: e });
    throw e;
  }
  const tooLarge = configLimitProblems(hf, names.config);
  if (tooLarge.length) throw new Error(tooLarge.join('; '));
  const cfg = gptConfigFromHf(hf);
  let header: SafetensorsHeader;
  try {
    header = parseSafetensorsHeader(files.safetensors, { upcastFloats: true, maxHeaderBytes: IMPORT_LIMITS.headerBytes, maxTensors: IMPORT_LIMITS.tensors });
  } catch (e) {
    if (e instanceof SafetensorsError) throw new Error(`${names.safetensors}: ${e.message}`, { cause: e });
    throw e;
  }
  const { weights, hasScore } = readModelTensors(files.safetensors, header, cfg, hf.head === 'score', names.safetensors);
  if (hasScore && !weights.has('score.bias')) weights.set('score.bias', new Float32Array(1)); // HF's class has no bias
  return { cfg, weights, head: hasScore ? 'score' : 'lm' };
}
