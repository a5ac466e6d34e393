import type { GPTConfig } from '../model/config';
import { paramSpecs, type Weights } from '../model/params';
import { BOS, EOS, PAD, SPECIAL_NAMES, VOCAB_SIZE, vocabulary } from '../model/tokenizer';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors';
import { gpt2Config, parseGpt2Config } from './gpt2Layout';

/**
 * A trained model as the files a Hugging Face GPT-2 implementation loads:
 *   model.safetensors  – the GPT-2 parameter names (wte, wpe, h.N.ln_1, h.N.attn.c_attn (fused QKV,
 *                        Conv1D orientation [in, out]), h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc,
 *                        h.N.mlp.c_proj, ln_f), float32, metadata {format: "pt"};
 *   config.json        – GPT2LMHeadModel (tied embeddings), or GPT2ForSequenceClassification for the
 *                        reward and value models;
 *   vocab.json, merges.txt, special_tokens_map.json – the character tokenizer written as a GPT-2
 *                        byte-level BPE with no merges (space is "Ġ", newline "Ċ", as GPT-2 spells them).
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
}

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
  return {
    'model.safetensors': encodeSafetensors(tensors, { format: 'pt', ...metadata }),
    'config.json': JSON.stringify(config, null, 2),
    'vocab.json': JSON.stringify(vocab),
    'merges.txt': '#version: 0.2\n',
    'special_tokens_map.json': JSON.stringify({ bos_token: SPECIAL_NAMES[BOS], eos_token: SPECIAL_NAMES[EOS], pad_token: SPECIAL_NAMES[PAD], unk_token: '<unk>' }),
  };
}

/** Reads exported files back: the model config, its weights (our orientation) and its head. */
export function importModel(files: { safetensors: Uint8Array; config: string }): { cfg: GPTConfig; weights: Weights; head: ModelHead } {
  let json: unknown;
  try {
    json = JSON.parse(files.config);
  } catch (e) {
    throw new Error(`config.json is not valid JSON: ${(e as Error).message}`);
  }
  const hf = parseGpt2Config(json);
  if (hf.vocabSize !== VOCAB_SIZE) throw new Error(`config.json has vocab_size ${hf.vocabSize}; this app's tokenizer has ${VOCAB_SIZE}`);
  if (hf.nInner % hf.nEmbd !== 0) throw new Error(`n_inner (${hf.nInner}) must be a multiple of n_embd (${hf.nEmbd})`);
  const cfg: GPTConfig = { vocabSize: hf.vocabSize, contextLength: hf.nPositions, dModel: hf.nEmbd, nLayer: hf.nLayer, nHead: hf.nHead, mlpRatio: hf.nInner / hf.nEmbd, dropout: 0 };
  const { tensors } = decodeSafetensors(files.safetensors);
  const byName = new Map(tensors.map((t) => [t.name.replace(/^transformer\./, ''), t]));
  const weights: Weights = new Map();
  for (const spec of paramSpecs(cfg)) {
    const t = byName.get(spec.name);
    if (!t) throw new Error(`model.safetensors has no tensor ${spec.name}`);
    if (t.dtype !== 'F32' || t.shape.join(',') !== spec.shape.join(',')) throw new Error(`${spec.name} is ${t.dtype} [${t.shape}], expected F32 [${spec.shape}]`);
    weights.set(spec.name, t.data as Float32Array);
  }
  const score = byName.get('score.weight');
  if (hf.head === 'score' || score) {
    if (!score || score.shape.join(',') !== `1,${cfg.dModel}`) throw new Error(`a reward/value model needs score.weight [1, ${cfg.dModel}]`);
    weights.set('score.weight', score.data as Float32Array); // [1, C] and [C, 1] share one memory layout
    weights.set('score.bias', (byName.get('score.bias')?.data as Float32Array) ?? new Float32Array(1));
  }
  return { cfg, weights, head: score ? 'score' : 'lm' };
}
