import * as tf from '@tensorflow/tfjs';
import type { GPTConfig } from './config';
import { Rng } from '../util/rng';

/**
 * Parameter names and shapes follow Hugging Face GPT-2 exactly, so export/import is a rename-free
 * copy. Linear weights are in Conv1D orientation [in, out]: y = x @ W + b.
 */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'residual' | 'zeros' | 'ones';
}

export function paramSpecs(cfg: GPTConfig): ParamSpec[] {
  const C = cfg.dModel;
  const H = cfg.mlpRatio * C;
  const specs: ParamSpec[] = [
    { name: 'wte.weight', shape: [cfg.vocabSize, C], init: 'normal' },
    { name: 'wpe.weight', shape: [cfg.contextLength, C], init: 'normal' },
  ];
  for (let i = 0; i < cfg.nLayer; i++) {
    const h = `h.${i}`;
    specs.push(
      { name: `${h}.ln_1.weight`, shape: [C], init: 'ones' },
      { name: `${h}.ln_1.bias`, shape: [C], init: 'zeros' },
      { name: `${h}.attn.c_attn.weight`, shape: [C, 3 * C], init: 'normal' },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * C], init: 'zeros' },
      { name: `${h}.attn.c_proj.weight`, shape: [C, C], init: 'residual' },
      { name: `${h}.attn.c_proj.bias`, shape: [C], init: 'zeros' },
      { name: `${h}.ln_2.weight`, shape: [C], init: 'ones' },
      { name: `${h}.ln_2.bias`, shape: [C], init: 'zeros' },
      { name: `${h}.mlp.c_fc.weight`, shape: [C, H], init: 'normal' },
      { name: `${h}.mlp.c_fc.bias`, shape: [H], init: 'zeros' },
      { name: `${h}.mlp.c_proj.weight`, shape: [H, C], init: 'residual' },
      { name: `${h}.mlp.c_proj.bias`, shape: [C], init: 'zeros' },
    );
  }
  specs.push({ name: 'ln_f.weight', shape: [C], init: 'ones' }, { name: 'ln_f.bias', shape: [C], init: 'zeros' });
  return specs;
}

/**
 * GPT-2 initialisation, computed in JavaScript from the seed so every backend starts from the
 * same bits: N(0, 0.02); residual projections N(0, 0.02/√(2·nLayer)); biases 0; LayerNorm gains 1.
 */
export function initialWeights(cfg: GPTConfig, seed: number): Weights {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  const residualStd = 0.02 / Math.sqrt(2 * cfg.nLayer);
  for (const spec of paramSpecs(cfg)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (spec.init === 'ones') data.fill(1);
    else if (spec.init === 'normal' || spec.init === 'residual') {
      const std = spec.init === 'normal' ? 0.02 : residualStd;
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    out.set(spec.name, data);
  }
  return out;
}

export type Params = Map<string, tf.Variable>;

/**
 * Weights as plain arrays by GPT-2 parameter name (never tfjs variable names, which differ from
 * one page load to the next): what checkpoints, snapshots and model files hold.
 */
export type Weights = Map<string, Float32Array>;

let modelCounter = 0;

/**
 * Creates trainable variables from weights (inside tidy so no init tensor stays alive).
 * Map keys are the GPT-2 names; tfjs variable names get a unique prefix (`m3/h.0.ln_1.weight`)
 * because tfjs variable names are global and several models (policy, reference, RM) coexist.
 */
export function makeVariables(specs: ParamSpec[], weights: Weights, trainable = true): Params {
  const params: Params = new Map();
  const scope = `m${modelCounter++}`;
  for (const spec of specs) {
    const data = weights.get(spec.name);
    if (!data) throw new Error(`missing weight ${spec.name}`);
    params.set(
      spec.name,
      tf.tidy(() => tf.variable(tf.tensor(data, spec.shape, 'float32'), trainable, `${scope}/${spec.name}`, 'float32')),
    );
  }
  return params;
}

/** Reads every parameter back (async; for checkpoints and exports, never in the training loop). */
export async function readWeights(params: Params): Promise<Weights> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of params) out.set(name, (await v.data()) as Float32Array);
  return out;
}
