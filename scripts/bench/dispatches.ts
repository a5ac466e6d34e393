/**
 * GPU dispatches and queue submits per training step at the tiny preset, with the program behind each
 * dispatch (issue 17: on a real GPU a tiny model's step is launch-bound). Three steps as the app runs them:
 *   lm   a pretraining step (16 × 64, lmTrainStep)
 *   rm   a reward-model step (8 prompts × K 6 = 48 rows × 33, positions + key mask, ranking loss and accuracy),
 *        as rlhf/rewardModel.ts runs it
 *   ppo  one PPO minibatch (32 rows × 33 of a 64-rollout batch in 2 minibatches): the policy's PPO-ptx step
 *        (ptx batch 8 × 64) and the value model's step, as rlhf/ppo.ts's policyStep and valueStep
 * Counts are deterministic (the same for every step after the first), so one measured step after one
 * warm-up is the number. scripts/bench/ours.ts exposes it as window.__bench.dispatches.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { GPT } from '../../src/model/gpt';
import { AdamW, ADAMW_DEFAULTS } from '../../src/model/optim';
import { PRESETS } from '../../src/model/config';
import { lmTrainStep } from '../../src/train/trainStep';
import { sampleWindows } from '../../src/train/batches';
import { valueLoss } from '../../src/rlhf/math';
import { rankingLossAndAccuracy } from '../../src/kernels/rankingLoss/op';
import { ScalarModel } from '../../src/rlhf/scalarModel';
import { buildSequences, layoutFor, policyLogits, sliceSequences, type SequenceBatch } from '../../src/rlhf/sequences';
import { ppoPtxLoss } from '../../src/kernels/ppoPtxLoss/op';
import { setTuning } from '../../src/kernels/tuning';
import { Rng } from '../../src/util/rng';

/** Before issue 17's "fewer dispatches" work (commit 3a19fdb, this section run on it): the reference for `before`. */
const DISPATCHES_BEFORE = {
  commit: '3a19fdb',
  lm: { dispatches: 220, submits: 15 },
  rm: { dispatches: 265, submits: 19 },
  ppo: { dispatches: 650, submits: 45 },
};

interface StepDispatches {
  dispatches: number;
  submits: number;
  /** dispatches by program (our shader keys; tfjs's program class and key for its own ops) */
  programs: Record<string, number>;
}

const log = { dispatches: 0, submits: 0, programs: null as Map<string, number> | null };
let installed = false;

/**
 * Counts every compute dispatch and submit, and names the program of each (patched once): a program run
 * through tfjs (runWebGPUProgram) by its shader key or class; one dispatched directly (kernels/shared/
 * multiProgram.ts) by its pipeline's label.
 */
function install(): void {
  if (installed) return;
  installed = true;
  let pending: string | null = null; // the name of the program tfjs is about to dispatch
  let label = '';
  const setPipeline = GPUComputePassEncoder.prototype.setPipeline;
  GPUComputePassEncoder.prototype.setPipeline = function (pipeline: GPUComputePipeline) {
    label = pipeline.label;
    return setPipeline.call(this, pipeline);
  };
  const d = GPUComputePassEncoder.prototype.dispatchWorkgroups;
  GPUComputePassEncoder.prototype.dispatchWorkgroups = function (...a: Parameters<typeof d>) {
    log.dispatches++;
    const name = pending ?? label;
    pending = null;
    if (log.programs) log.programs.set(name, (log.programs.get(name) ?? 0) + 1);
    return d.apply(this, a);
  };
  const s = GPUQueue.prototype.submit;
  GPUQueue.prototype.submit = function (...a: Parameters<typeof s>) {
    log.submits++;
    return s.apply(this, a);
  };
  const backend = tf.backend() as WebGPUBackend;
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program: WebGPUProgram, ...rest: unknown[]) => {
    pending = programName(program);
    return (run as (...a: unknown[]) => tf.TensorInfo)(program, ...rest);
  };
}

// tfjs-backend-webgpu 4.22's BinaryOpType and UnaryOpType, in order (its programs carry the number)
const BINARY =
  'ADD ATAN2 CMUL_IMAG CMUL_REAL DIV ELU_DER EQUAL FLOOR_DIV GREATER GREATER_EQUAL LESS LESS_EQUAL AND OR MAX MIN MOD MUL NOT_EQUAL POW PRELU SQDIFF SUB'.split(
    ' ',
  );
const UNARY = (
  'ABS ACOS ACOSH ASIN ASINH ATAN ATANH CEIL COS COSH ELU ERF EXP EXPM1 FLOOR IS_FINITE IS_INF IS_NAN LINEAR LOG LOG1P NOT NEG RELU RELU6 ' +
  'LEAKYRELU RECIPROCAL ROUND RSQRT SELU SIGMOID SIGN SIN SINH SOFTPLUS SQRT SQUARE STEP TAN TANH TO_INT'
).split(' ');

/** Our programs by their shader key; tfjs's by class, with the op of its element-wise programs. */
function programName(p: WebGPUProgram): string {
  const cls = p.constructor.name;
  if (cls === 'FlatProgram' || cls === 'MatmulProgram' || !cls.endsWith('Program')) return p.shaderKey;
  const op = (p as unknown as { op?: unknown }).op;
  const opName = typeof op === 'number' ? ((cls.startsWith('Binary') ? BINARY : UNARY)[op] ?? op) : typeof op === 'string' ? op : '';
  return `tfjs ${cls}${opName === '' ? '' : ` ${opName}`}`;
}

/**
 * The dispatches of `step()` (after `warmup` calls of it, which compile and settle the buffer pool). A step
 * returns what the app reads back of it (its losses, the RM's accuracy): those reads' submits are counted.
 */
async function measure(step: () => tf.Tensor[], warmup = 1): Promise<StepDispatches> {
  const read = async (ts: tf.Tensor[]) => {
    await Promise.all(ts.map((t) => t.data()));
    tf.dispose(ts);
  };
  for (let i = 0; i < warmup; i++) await read(step());
  await tf.nextFrame();
  const programs = new Map<string, number>();
  const d0 = log.dispatches;
  const s0 = log.submits;
  log.programs = programs;
  const out = step();
  log.programs = null;
  const dispatches = log.dispatches - d0;
  await read(out);
  const submits = log.submits - s0;
  const sorted = [...programs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { dispatches, submits, programs: Object.fromEntries(sorted) };
}

const tiny = () => ({ ...PRESETS.tiny, dropout: 0 });

function tokens(rng: Rng, n: number, vocab: number): Int32Array {
  return Int32Array.from({ length: n }, () => 4 + rng.int(vocab - 4));
}

async function lmStep(): Promise<StepDispatches> {
  const cfg = tiny();
  const model = GPT.create(cfg, 1);
  const opt = new AdamW(model.params);
  const rng = new Rng(3);
  const B = 16;
  const T = cfg.contextLength;
  let i = 0;
  try {
    return await measure(() => {
      const inputs = tokens(rng, B * T, cfg.vocabSize);
      const targets = tokens(rng, B * T, cfg.vocabSize);
      const { loss, gradNorm } = lmTrainStep(model, opt, { B, T, inputs, targets, mask: new Float32Array(B * T).fill(1) }, 1e-3, i++);
      gradNorm.dispose();
      return [loss];
    });
  } finally {
    opt.dispose();
    model.dispose();
  }
}

const letters = (rng: Rng, min: number, max: number) =>
  Array.from({ length: min + rng.int(max - min + 1) }, () => String.fromCharCode(97 + rng.int(26))).join('');

/** `P` prompts × `K` responses, the task's length spread (prompts 5–16 characters, responses 1–12). */
function rankedBatch(P: number, K: number, rng: Rng): SequenceBatch {
  const prompts: string[] = [];
  const responses: string[] = [];
  for (let p = 0; p < P; p++) {
    const prompt = letters(rng, 5, 16);
    for (let k = 0; k < K; k++) {
      prompts.push(prompt);
      responses.push(letters(rng, 1, 12));
    }
  }
  return buildSequences(layoutFor(16, 16), prompts, responses);
}

async function rmStep(): Promise<StepDispatches> {
  const rm = new ScalarModel(GPT.create(tiny(), 1));
  const opt = new AdamW(rm.backbone.params);
  const vars = [...rm.backbone.params.values()];
  const rng = new Rng(5);
  let i = 0;
  try {
    return await measure(() => {
      const batch = rankedBatch(8, 6, rng);
      return tf.tidy(() => {
        let acc: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const out = rankingLossAndAccuracy(rm.scores(batch, true, i++).reshape([8, 6]) as tf.Tensor2D);
          acc = out.accuracy;
          return out.loss;
        }, vars);
        opt.apply(grads, 1e-4);
        return [value, acc!];
      });
    });
  } finally {
    opt.dispose();
    rm.dispose();
  }
}

async function ppoStep(): Promise<StepDispatches> {
  const cfg = tiny();
  const policy = GPT.create(cfg, 1);
  const value = new ScalarModel(GPT.create(cfg, 2));
  const policyOpt = new AdamW(policy.params, { ...ADAMW_DEFAULTS, weightDecay: 0 });
  const valueOpt = new AdamW(value.backbone.params, { ...ADAMW_DEFAULTS, weightDecay: 0 });
  const policyVars = [...policy.params.values()];
  const valueVars = [...value.backbone.params.values()];
  const rng = new Rng(7);
  const stream = tokens(rng, 4096, cfg.vocabSize);
  // the rollout batch's scored tensors (64 rows); a minibatch gathers its 32 rows, as ppo.ts's rowsOf
  const N = 64;
  const rollout = rankedBatch(N, 1, rng);
  const R = rollout.layout.R;
  const scored = tf.tidy(() => ({
    mask: tf.tensor2d(rollout.actionMask, [N, R]),
    actions: tf.tensor2d(rollout.actions, [N, R], 'int32'),
    oldLogp: tf.randomNormal([N, R], -4, 1, 'float32', 11),
    adv: tf.randomNormal([N, R], 0, 1, 'float32', 12),
    oldValues: tf.randomNormal([N, R], 0, 1, 'float32', 13),
    returns: tf.randomNormal([N, R], 0, 1, 'float32', 14),
  }));
  let i = 0;
  try {
    return await measure(() => {
      const rows = rng.shuffle(Array.from({ length: N }, (_, j) => j)).slice(0, N / 2);
      const mb = sliceSequences(rollout, rows);
      const ptx = sampleWindows(stream, 8, cfg.contextLength, rng);
      const seed = i++;
      const rowsOf = (t: tf.Tensor) => tf.gather(t, tf.tensor1d(rows, 'int32'));
      return tf.tidy(() => {
        const [mask, actions, oldLogp, advantages] = [scored.mask, scored.actions, scored.oldLogp, scored.adv].map(rowsOf);
        const ptxTargets = tf.tensor2d(ptx.targets, [ptx.B, ptx.T], 'int32');
        const ptxMask = tf.tensor2d(ptx.mask, [ptx.B, ptx.T]);
        const { value: policyLoss, grads } = tf.variableGrads(() => {
          const logits = policyLogits(policy, mb, false, seed);
          const ptxLogits = policy.logits(tf.tensor2d(ptx.inputs, [ptx.B, ptx.T], 'int32'), { training: false, dropoutSeed: seed + 1 });
          return ppoPtxLoss({ logits, actions, oldLogp, advantages, mask, ptxLogits, ptxTargets, ptxMask }, { clip: 0.2, ptxCoef: 0.01, temperature: 1 }).loss;
        }, policyVars);
        policyOpt.apply(grads, 1e-4).dispose();
        const [vMask, oldValues, returns] = [scored.mask, scored.oldValues, scored.returns].map(rowsOf);
        const { value: vLoss, grads: vGrads } = tf.variableGrads(
          () => valueLoss(value.values(mb, false, seed + 2), oldValues, returns, vMask, 0.2).loss,
          valueVars,
        );
        valueOpt.apply(vGrads, 1e-4).dispose();
        return [policyLoss, vLoss];
      });
    });
  } finally {
    tf.dispose(Object.values(scored));
    policyOpt.dispose();
    valueOpt.dispose();
    policy.dispose();
    value.dispose();
  }
}

/**
 * Dispatches per step of the three steps, with the fused kernels (the app's path) unless `fused` is false,
 * and the counts before (DISPATCHES_BEFORE).
 */
export async function stepDispatches(fused = true): Promise<Record<'lm' | 'rm' | 'ppo', StepDispatches> & { before: typeof DISPATCHES_BEFORE }> {
  if (tf.getBackend() !== 'webgpu') throw new Error('stepDispatches: start the webgpu backend first');
  install();
  setTuning({ fusedKernels: fused });
  try {
    return { lm: await lmStep(), rm: await rmStep(), ppo: await ppoStep(), before: DISPATCHES_BEFORE };
  } finally {
    setTuning({ fusedKernels: true });
  }
}
