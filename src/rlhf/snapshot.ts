import * as tf from '@tensorflow/tfjs';
import { GPT } from '../model/gpt';
import type { GPTConfig } from '../model/config';
import { paramSpecs, readWeights, type Params, type Weights } from '../model/params';
import type { AdamW } from '../model/optim';

/**
 * Weights and optimizer state as plain maps (name → Float32Array), for checkpoints in IndexedDB.
 * Model weights use the GPT-2 parameter names; optimizer state uses `m/<name>`, `v/<name>` and the
 * scalars `steps`, `skipped`.
 */
export type { Weights };

export function modelWeights(model: GPT): Promise<Weights> {
  return readWeights(model.params);
}

/** Shapes of everything a model may hold: the GPT-2 parameters plus the scalar head. */
function shapesFor(cfg: GPTConfig): Map<string, number[]> {
  const shapes = new Map(paramSpecs(cfg).map((s) => [s.name, s.shape]));
  shapes.set('score.weight', [cfg.dModel, 1]);
  shapes.set('score.bias', [1]);
  return shapes;
}

export function modelFromWeights(cfg: GPTConfig, weights: Weights): GPT {
  const shapes = shapesFor(cfg);
  const params: Params = new Map();
  const scope = `r${restoreCounter++}`;
  for (const [name, data] of weights) {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`checkpoint has an unknown parameter "${name}"`);
    if (shape.reduce((a, b) => a * b, 1) !== data.length)
      throw new Error(`checkpoint parameter "${name}" has ${data.length} values, expected shape [${shape}]`);
    params.set(
      name,
      tf.tidy(() => tf.variable(tf.tensor(data, shape), true, `${scope}/${name}`)),
    );
  }
  for (const spec of paramSpecs(cfg)) if (!params.has(spec.name)) throw new Error(`checkpoint is missing parameter "${spec.name}"`);
  return new GPT(cfg, params);
}
let restoreCounter = 0;

export async function optimizerState(opt: AdamW, params: Params): Promise<Weights> {
  const { m, v } = opt.state();
  const out: Weights = new Map();
  for (const [name, p] of params) {
    const mv = m.get(p.name);
    const vv = v.get(p.name);
    if (mv && vv) {
      out.set(`m/${name}`, (await mv.data()) as Float32Array);
      out.set(`v/${name}`, (await vv.data()) as Float32Array);
    }
  }
  out.set('steps', (await opt.steps.data()) as Float32Array);
  out.set('skipped', (await opt.skipped.data()) as Float32Array);
  return out;
}

export function restoreOptimizer(opt: AdamW, params: Params, state: Weights): void {
  const { m, v } = opt.state();
  tf.tidy(() => {
    for (const [name, p] of params) {
      const ms = state.get(`m/${name}`);
      const vs = state.get(`v/${name}`);
      if (!ms || !vs) continue;
      m.get(p.name)?.assign(tf.tensor(ms, p.shape));
      v.get(p.name)?.assign(tf.tensor(vs, p.shape));
    }
    const steps = state.get('steps');
    const skipped = state.get('skipped');
    if (steps) opt.steps.assign(tf.scalar(steps[0]));
    if (skipped) opt.skipped.assign(tf.scalar(skipped[0]));
  });
}
