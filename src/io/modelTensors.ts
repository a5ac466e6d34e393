import type { GPTConfig } from '../model/config';
import { paramSpecs } from '../model/params';
import { readTensor, type SafetensorsEntry, type SafetensorsHeader } from './safetensors';

/**
 * Which tensors of a model.safetensors are the model's parameters, checked before any of them is
 * copied: every parameter present once (`wte.weight` and `transformer.wte.weight` both present is
 * refused: which one would the user mean?), with its shape, as a float tensor; nothing else but
 * what Hugging Face checkpoints carry that holds no parameter (the causal-mask buffers
 * `h.N.attn.bias` / `h.N.attn.masked_bias` of existing layers, and `lm_head.weight`, which must
 * equal `wte.weight` since the output layer is tied to it). Then each tensor's values are read
 * and refused if any is NaN or ±Infinity (one NaN in a row of `wte` makes every logit NaN).
 * Every failure is an Error whose message names the file and the tensor.
 */

const MASK_BUFFER = /^h\.(\d+)\.attn\.(bias|masked_bias)$/;
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** The name a tensor has in this app's layout: HF's `transformer.` prefix dropped. */
const layoutName = (name: string): string => (name.startsWith('transformer.') ? name.slice('transformer.'.length) : name);
const quote = (name: string): string => JSON.stringify(name.length > 80 ? name.slice(0, 77) + '...' : name);
const quoted = (names: string[], max = 3): string => names.slice(0, max).map(quote).join(', ') + (names.length > max ? ` and ${names.length - max} more` : '');
const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** "[3, 17]" for flat index 3·C + 17 of a [V, C] tensor. */
function position(index: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(index % shape[d]);
    index = Math.floor(index / shape[d]);
  }
  return shapeText(at);
}

/** Why these values cannot be weights ('' when every one is finite): the count and the first. */
function nonFiniteProblem(file: string, name: string, data: Float32Array, shape: readonly number[]): string {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      // NaN − NaN and ∞ − ∞ are NaN; every finite value gives 0
      if (first < 0) first = i;
      count++;
    }
  }
  if (!count) return '';
  return (
    `${file}: tensor ${quote(name)} has ${count} value${count === 1 ? '' : 's'} that ${count === 1 ? 'is' : 'are'} NaN or ±Infinity, ` +
    `the first at index ${first} ${position(first, shape)} (it is ${data[first]}); a model with such weights computes NaN`
  );
}

export interface ModelTensors {
  weights: Map<string, Float32Array>;
  /** the file has a reward/value head (score.weight) */
  hasScore: boolean;
}

/**
 * Reads the model's parameters out of a parsed safetensors file: `cfg` gives the expected names
 * and shapes; `wantScore` asks for the scalar head (the config says it is a reward/value model).
 */
export function readModelTensors(bytes: Uint8Array, header: SafetensorsHeader, cfg: GPTConfig, wantScore: boolean, file: string): ModelTensors {
  const byName = new Map<string, SafetensorsEntry>();
  const duplicates: string[] = [];
  for (const e of header.entries) {
    const name = layoutName(e.name);
    const other = byName.get(name);
    if (other) duplicates.push(`${quote(other.name)} and ${quote(e.name)}`);
    else byName.set(name, e);
  }
  if (duplicates.length) {
    throw new Error(
      `${file} holds one tensor under two names (${duplicates.slice(0, 3).join('; ')}${duplicates.length > 3 ? ` and ${duplicates.length - 3} more` : ''}): ` +
        'which one is meant cannot be told, so nothing is imported',
    );
  }

  const specs = paramSpecs(cfg).map((s) => ({ name: s.name, shape: s.shape }));
  const hasScore = wantScore || byName.has('score.weight');
  if (hasScore) {
    const scoreShape = byName.get('score.weight')?.shape;
    // HF's GPT2ForSequenceClassification writes [1, C]; this app's layout is [C, 1] (one memory layout).
    specs.push({ name: 'score.weight', shape: scoreShape && scoreShape[0] === cfg.dModel && scoreShape[1] === 1 ? [cfg.dModel, 1] : [1, cfg.dModel] });
    if (byName.has('score.bias')) specs.push({ name: 'score.bias', shape: [1] });
  }
  const expected = new Set(specs.map((s) => s.name));
  const missing = specs.filter((s) => !byName.has(s.name)).map((s) => s.name);
  if (missing.length) {
    throw new Error(
      `${file} has no tensor ${quoted(missing)}, which a model of ${cfg.nLayer} layer${cfg.nLayer === 1 ? '' : 's'} with n_embd ${cfg.dModel} needs ` +
        '(is config.json the one that belongs to it?)',
    );
  }
  for (const s of specs) {
    const e = byName.get(s.name)!;
    if (!FLOAT_DTYPES.has(e.dtype)) throw new Error(`${file}: tensor ${quote(e.name)} is ${e.dtype}; weights must be floats (F32, F16, BF16 or F64)`);
    if (shapeText(e.shape) !== shapeText(s.shape))
      throw new Error(`${file}: tensor ${quote(e.name)} has shape ${shapeText(e.shape)}; config.json asks for ${shapeText(s.shape)}`);
  }
  const unexpected: string[] = [];
  let lmHead: SafetensorsEntry | undefined;
  for (const [name, e] of byName) {
    if (expected.has(name)) continue;
    const mask = MASK_BUFFER.exec(name);
    if (mask && Number(mask[1]) < cfg.nLayer) continue; // a causal-mask buffer: no parameter
    if (name === 'lm_head.weight') lmHead = e;
    else unexpected.push(e.name);
  }
  if (unexpected.length) {
    throw new Error(
      `${file} holds tensor${unexpected.length === 1 ? '' : 's'} this model does not have: ${quoted(unexpected)} ` +
        `(config.json says n_layer ${cfg.nLayer}${hasScore ? '' : ', no score head'}); refusing rather than guessing which file is wrong`,
    );
  }

  const weights = new Map<string, Float32Array>();
  for (const s of specs) {
    const e = byName.get(s.name)!;
    const data = readTensor(bytes, header.bufferStart, e).data as Float32Array;
    const bad = nonFiniteProblem(file, e.name, data, e.shape);
    if (bad) throw new Error(bad);
    weights.set(s.name, data);
  }
  if (lmHead) {
    const wte = weights.get('wte.weight')!;
    const head =
      FLOAT_DTYPES.has(lmHead.dtype) && shapeText(lmHead.shape) === shapeText([cfg.vocabSize, cfg.dModel])
        ? (readTensor(bytes, header.bufferStart, lmHead).data as Float32Array)
        : null;
    if (!head || head.some((v, i) => v !== wte[i])) {
      throw new Error(
        `${file}: tensor ${quote(lmHead.name)} differs from wte.weight; this app's output layer is tied to the token embedding ` +
          '(tie_word_embeddings), so a separate lm_head cannot be imported',
      );
    }
  }
  return { weights, hasScore };
}
