/**
 * Hugging Face GPT-2 layout: the `config.json` the app writes next to exported weights, a
 * validating parser for imported configs, and the parameter names/shapes the model uses.
 * Pure: no tfjs, no DOM.
 *
 * Parameter names (HF `GPT2Model` state-dict names, without the `transformer.` prefix that
 * `GPT2LMHeadModel` checkpoints add; C = n_embd, V = vocab_size, T = n_positions,
 * F = n_inner, default 4C):
 *
 *   wte.weight                      [V, C]    token embedding; also the tied LM head (logits = h @ wteᵀ)
 *   wpe.weight                      [T, C]    learned position embedding
 *   h.{i}.ln_1.weight | .bias       [C]       pre-attention LayerNorm
 *   h.{i}.attn.c_attn.weight        [C, 3C]   fused Q|K|V projection, Conv1D orientation: y = x @ W + b
 *   h.{i}.attn.c_attn.bias          [3C]
 *   h.{i}.attn.c_proj.weight        [C, C]    attention output projection (Conv1D)
 *   h.{i}.attn.c_proj.bias          [C]
 *   h.{i}.ln_2.weight | .bias       [C]       pre-MLP LayerNorm
 *   h.{i}.mlp.c_fc.weight           [C, F]    (Conv1D)
 *   h.{i}.mlp.c_fc.bias             [F]
 *   h.{i}.mlp.c_proj.weight         [F, C]    (Conv1D)
 *   h.{i}.mlp.c_proj.bias           [C]
 *   ln_f.weight | .bias             [C]       final LayerNorm
 *
 * Reward / value models add a scalar head on the last hidden state:
 *
 *   score.weight                    [C, 1]    y = h @ W + b (same x @ W orientation as Conv1D)
 *   score.bias                      [1]
 *
 * Note: this app's `score.*` differs from transformers' `GPT2ForSequenceClassification`, whose
 * `score` is an `nn.Linear(n_embd, num_labels, bias=False)`, i.e. `score.weight` is [1, C] and
 * there is no bias. Exporting to that class needs a transpose and dropping (or folding into a
 * constant offset) the bias.
 *
 * Q, K, V are split from c_attn along the last axis in that order, heads are contiguous blocks
 * of C / n_head columns; attention scores are scaled by 1/sqrt(C / n_head); the activation is
 * the tanh approximation of GELU (`gelu_new`); LayerNorm epsilon is 1e-5.
 */

import type { GPTConfig } from '../model/config';
import { showValue } from './showValue';

interface Gpt2Dims {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
}

export interface Gpt2ConfigOptions extends Gpt2Dims {
  /** MLP hidden width; default 4 · nEmbd (written as `n_inner: null` when it is the default). */
  nInner?: number;
  layerNormEpsilon?: number;
  bosTokenId?: number;
  eosTokenId?: number;
  /** Pad token id; defaults to eosTokenId (GPT-2 has no dedicated pad token). */
  padTokenId?: number;
  /** Dropout probabilities written to resid_pdrop / embd_pdrop / attn_pdrop (default 0). */
  dropout?: number;
  /** 'lm' (default) → GPT2LMHeadModel; 'score' → a scalar reward/value head (num_labels 1). */
  head?: 'lm' | 'score';
  /** Extra string entries, e.g. provenance; merged last (cannot override the keys above). */
  extra?: Record<string, string | number | boolean | null>;
}

/** The HF `config.json` object (only the keys this app writes or reads). */
export interface Gpt2HfConfig {
  model_type: 'gpt2';
  architectures: string[];
  vocab_size: number;
  n_positions: number;
  n_ctx: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number | null;
  activation_function: 'gelu_new';
  layer_norm_epsilon: number;
  initializer_range: number;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  scale_attn_weights: true;
  scale_attn_by_inverse_layer_idx: false;
  reorder_and_upcast_attn: false;
  tie_word_embeddings: true;
  use_cache: boolean;
  bos_token_id: number;
  eos_token_id: number;
  pad_token_id: number;
  num_labels?: number;
  [extra: string]: unknown;
}

/** Parsed, normalised config (camelCase) as the model code consumes it. */
export interface Gpt2Config extends Gpt2Dims {
  nInner: number;
  layerNormEpsilon: number;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  head: 'lm' | 'score';
}

export class Gpt2ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.length === 1 ? `invalid GPT-2 config: ${problems[0]}` : `invalid GPT-2 config:\n- ${problems.join('\n- ')}`);
    this.name = 'Gpt2ConfigError';
    this.problems = problems;
  }
}

function isPosInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

function checkDims(d: Partial<Gpt2Dims> & { nInner?: number }, names: Record<keyof Gpt2Dims | 'nInner', string>): string[] {
  const problems: string[] = [];
  for (const k of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'] as const) {
    if (!isPosInt(d[k])) problems.push(`${names[k]} must be a positive integer (got ${showValue(d[k])})`);
  }
  if (isPosInt(d.nEmbd) && isPosInt(d.nHead) && d.nEmbd % d.nHead !== 0) {
    problems.push(`${names.nEmbd} (${d.nEmbd}) must be divisible by ${names.nHead} (${d.nHead})`);
  }
  if (d.nInner !== undefined && !isPosInt(d.nInner)) {
    problems.push(`${names.nInner} must be a positive integer (got ${showValue(d.nInner)})`);
  }
  return problems;
}

const CAMEL_NAMES = {
  vocabSize: 'vocabSize',
  nPositions: 'nPositions',
  nEmbd: 'nEmbd',
  nLayer: 'nLayer',
  nHead: 'nHead',
  nInner: 'nInner',
};
const HF_NAMES = {
  vocabSize: 'vocab_size',
  nPositions: 'n_positions',
  nEmbd: 'n_embd',
  nLayer: 'n_layer',
  nHead: 'n_head',
  nInner: 'n_inner',
};

/**
 * Builds a Hugging Face GPT-2 `config.json` object. Throws {@link Gpt2ConfigError} on invalid
 * dimensions or token ids. Serialise with `JSON.stringify(cfg, null, 2)`.
 */
export function gpt2Config(opts: Gpt2ConfigOptions): Gpt2HfConfig {
  const problems = checkDims(opts, CAMEL_NAMES);
  const bos = opts.bosTokenId ?? (isPosInt(opts.vocabSize) ? opts.vocabSize - 1 : 0);
  const eos = opts.eosTokenId ?? bos;
  const pad = opts.padTokenId ?? eos;
  for (const [k, v] of [
    ['bosTokenId', bos],
    ['eosTokenId', eos],
    ['padTokenId', pad],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || (isPosInt(opts.vocabSize) && v >= opts.vocabSize)) {
      problems.push(`${k} must be an integer in [0, vocabSize − 1] (got ${v})`);
    }
  }
  const eps = opts.layerNormEpsilon ?? 1e-5;
  if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) problems.push('layerNormEpsilon must be a positive number');
  const dropout = opts.dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) problems.push('dropout must be in [0, 1)');
  if (problems.length) throw new Gpt2ConfigError(problems);

  const head = opts.head ?? 'lm';
  const cfg: Gpt2HfConfig = {
    ...(opts.extra ?? {}),
    model_type: 'gpt2',
    architectures: [head === 'score' ? 'GPT2ForSequenceClassification' : 'GPT2LMHeadModel'],
    vocab_size: opts.vocabSize,
    n_positions: opts.nPositions,
    n_ctx: opts.nPositions,
    n_embd: opts.nEmbd,
    n_layer: opts.nLayer,
    n_head: opts.nHead,
    n_inner: opts.nInner === undefined || opts.nInner === 4 * opts.nEmbd ? null : opts.nInner,
    activation_function: 'gelu_new',
    layer_norm_epsilon: eps,
    initializer_range: 0.02,
    resid_pdrop: dropout,
    embd_pdrop: dropout,
    attn_pdrop: dropout,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: bos,
    eos_token_id: eos,
    pad_token_id: pad,
  };
  if (head === 'score') cfg.num_labels = 1;
  return cfg;
}

/**
 * Validates a GPT-2 `config.json` (a JSON string or an already parsed object) and returns the
 * normalised config. Throws {@link Gpt2ConfigError} listing every problem found. Unknown keys
 * are ignored. Rejects settings the app's model does not implement (untied embeddings,
 * non-tanh GELU, per-layer attention scaling, cross-attention, unscaled attention).
 */
export function parseGpt2Config(json: unknown): Gpt2Config {
  let obj: unknown = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      throw new Gpt2ConfigError([`not valid JSON (${(e as Error).message})`]);
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Gpt2ConfigError(['expected a JSON object']);
  }
  const c = obj as Record<string, unknown>;
  const get = (k: string): unknown => (Object.prototype.hasOwnProperty.call(c, k) ? c[k] : undefined);
  const problems: string[] = [];

  if (get('model_type') !== 'gpt2') {
    problems.push(`model_type must be "gpt2" (got ${showValue(get('model_type'))})`);
  }
  const nPositions = get('n_positions') ?? get('n_ctx');
  const nCtx = get('n_ctx');
  const nEmbd = get('n_embd');
  const rawInner = get('n_inner');
  const dims = {
    vocabSize: get('vocab_size') as number,
    nPositions: nPositions as number,
    nEmbd: nEmbd as number,
    nLayer: get('n_layer') as number,
    nHead: get('n_head') as number,
    nInner: rawInner === null || rawInner === undefined ? undefined : (rawInner as number),
  };
  problems.push(...checkDims(dims, HF_NAMES));
  if (nCtx !== undefined && get('n_positions') !== undefined && nCtx !== nPositions) {
    problems.push(`n_ctx (${showValue(nCtx)}) must equal n_positions (${showValue(nPositions)})`);
  }

  const act = get('activation_function') ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
    problems.push(`activation_function ${showValue(act)} is not supported (the model implements the tanh GELU, "gelu_new")`);
  }
  const eps = get('layer_norm_epsilon') ?? 1e-5;
  if (!(typeof eps === 'number' && Number.isFinite(eps) && eps > 0)) {
    problems.push(`layer_norm_epsilon must be a positive number (got ${showValue(eps)})`);
  }
  const requireBool = (key: string, want: boolean, why: string): void => {
    const v = get(key);
    if (v !== undefined && v !== want) problems.push(`${key} must be ${want} (${why}); got ${showValue(v)}`);
  };
  requireBool('tie_word_embeddings', true, 'the LM head reuses wte.weight');
  requireBool('scale_attn_weights', true, 'attention is scaled by 1/sqrt(head size)');
  requireBool('scale_attn_by_inverse_layer_idx', false, 'not implemented');
  requireBool('add_cross_attention', false, 'decoder-only model');

  const vocab = isPosInt(dims.vocabSize) ? dims.vocabSize : Infinity;
  const tokenId = (key: string, fallback: number): number => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= vocab) {
      problems.push(`${key} must be an integer in [0, vocab_size − 1] (got ${showValue(v)})`);
      return fallback;
    }
    return v;
  };
  const defaultId = isPosInt(dims.vocabSize) ? dims.vocabSize - 1 : 0;
  const bosTokenId = tokenId('bos_token_id', defaultId);
  const eosTokenId = tokenId('eos_token_id', bosTokenId);
  const padTokenId = tokenId('pad_token_id', eosTokenId);

  const arch = get('architectures');
  let head: 'lm' | 'score' = 'lm';
  if (arch !== undefined) {
    if (!Array.isArray(arch) || arch.length !== 1 || typeof arch[0] !== 'string') {
      problems.push('architectures must be a list with one class name');
    } else if (arch[0] === 'GPT2ForSequenceClassification') {
      head = 'score';
      const labels = get('num_labels');
      if (labels !== undefined && labels !== 1) problems.push(`num_labels must be 1 for a scalar head (got ${showValue(labels)})`);
    } else if (arch[0] !== 'GPT2LMHeadModel' && arch[0] !== 'GPT2Model') {
      problems.push(`architectures[0] ${showValue(arch[0])} is not supported (GPT2LMHeadModel or GPT2ForSequenceClassification)`);
    }
  }

  if (problems.length) throw new Gpt2ConfigError(problems);
  return {
    vocabSize: dims.vocabSize,
    nPositions: dims.nPositions,
    nEmbd: dims.nEmbd,
    nLayer: dims.nLayer,
    nHead: dims.nHead,
    nInner: dims.nInner ?? 4 * dims.nEmbd,
    layerNormEpsilon: eps as number,
    bosTokenId,
    eosTokenId,
    padTokenId,
    head,
  };
}

/** The app's model config that a parsed config.json describes (dropout 0: the parser reads no *_pdrop). */
export function gptConfigFromHf(hf: Gpt2Config): GPTConfig {
  return {
    vocabSize: hf.vocabSize,
    contextLength: hf.nPositions,
    dModel: hf.nEmbd,
    nLayer: hf.nLayer,
    nHead: hf.nHead,
    mlpRatio: hf.nInner / hf.nEmbd,
    dropout: 0,
  };
}
