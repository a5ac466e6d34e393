import * as tf from '@tensorflow/tfjs';
import type { GPT, KVCache } from './gpt';
import { sampleToken, type SamplingOptions } from './sampling';
import { Rng } from '../util/rng';
import { EOS, PAD } from './tokenizer';
import { BANNED } from './bannedTokens';
import { KVDecoder, kvDecoderActive } from './decoder';
import { sampleNext } from '../kernels/decode/op';
import { decoderStats, tuning } from '../kernels/tuning';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed: number;
  /** true: KV cache, one new token per step. false: recompute the whole context every step (reference). */
  useCache: boolean;
}

export interface Generation {
  /** new tokens per row, ending with EOS when the row finished */
  tokens: number[][];
  finished: boolean[];
}

/**
 * Batched sampling. Prompts of different lengths are LEFT-padded to a common length P; pads are
 * masked out of attention and positions restart at 0 at each row's first real token, so a row
 * generates the same text alone or in a batch. Rows stop at EOS; the batch stops when all rows
 * have stopped or the context is full.
 *
 * Every token is chosen by sampleToken on the logits read back, drawing from Rng(seed) in row
 * order (one number per unfinished row per step at τ > 0), on every path. With the KV cache on
 * webgpu (KVDecoder) the steps are pipelined: see generateDecoder.
 */
export async function generate(model: GPT, prompts: number[][], opts: GenerateOptions): Promise<Generation> {
  const P = Math.max(...prompts.map((p) => p.length));
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens, model.cfg.contextLength - P));
  if (opts.useCache && maxNew > 0 && kvDecoderActive(model)) return generateDecoder(model, prompts, P, maxNew, opts);
  const B = prompts.length;
  const rng = new Rng(opts.seed);
  const pads = prompts.map((p) => P - p.length);
  const rows: number[][] = prompts.map((p, b) => [...new Array(pads[b]).fill(PAD), ...p]);
  const out: number[][] = prompts.map(() => []);
  const finished = prompts.map(() => false);
  const cache: KVCache = { k: [], v: [] };
  try {
    for (let step = 0; step < maxNew; step++) {
      const Tk = P + step;
      const logits = opts.useCache && step > 0 ? decodeStep(model, rows, pads, cache) : fullStep(model, rows, pads, opts.useCache ? cache : undefined);
      const data = await logits.data(); // (B, V): generation reads one small row per step
      logits.dispose();
      const V = model.cfg.vocabSize;
      for (let b = 0; b < B; b++) {
        const next = finished[b] ? PAD : sampleToken(data.subarray(b * V, (b + 1) * V), opts, rng, BANNED);
        rows[b].push(next);
        if (finished[b]) continue;
        out[b].push(next);
        if (next === EOS) finished[b] = true;
      }
      if (finished.every(Boolean) || Tk + 1 >= model.cfg.contextLength) break;
    }
  } finally {
    for (const t of [...cache.k, ...cache.v]) t.dispose();
  }
  return { tokens: out, finished };
}

/**
 * Decode steps in flight, counting the one being checked: 2 is as fast as 3 and wastes at most one
 * step when every row has stopped early (BENCHMARKS.md, "Measurements behind the kernels' choices").
 */
const PIPELINE_DEPTH = 2;

/**
 * generate() on the KV decoder, pipelined: the next token of every row is PREDICTED on the GPU
 * (sampleNext, from the same uniform numbers sampleToken will draw) and the next step is issued
 * on that prediction (PIPELINE_DEPTH steps in flight, unless tuning.decodePipelineDepth says
 * otherwise), while the logits of the oldest step are read back and sampleToken chooses that
 * step's tokens as on every other path. Where a prediction
 * differs (float32 on the GPU vs float64 in JavaScript, at an interval boundary: rare), the steps
 * after it are dropped and issued again from the chosen tokens (their cache positions are simply
 * rewritten). So the tokens are exactly sampleToken's on the logits of each step, and the GPU
 * never waits for JavaScript. With top-k or top-p on, nothing is predicted (one step at a time).
 */
async function generateDecoder(model: GPT, prompts: number[][], P: number, maxNew: number, opts: GenerateOptions): Promise<Generation> {
  const B = prompts.length;
  const V = model.cfg.vocabSize;
  const rng = new Rng(opts.seed);
  const pads = prompts.map((p) => P - p.length);
  const out: number[][] = prompts.map(() => []);
  const finished = prompts.map(() => false);
  const greedy = opts.temperature <= 0;
  const predict = greedy || (opts.topK <= 0 && opts.topP >= 1);
  const depth = predict ? Math.max(1, tuning.decodePipelineDepth ?? PIPELINE_DEPTH) : 1;
  const sampler = { temperature: opts.temperature, banned: [...BANNED], pad: PAD, eos: EOS };
  // the uniform numbers sampleToken will draw, in order (at most one per row per step)
  const stream = new Rng(opts.seed);
  const flip = tuning.predictorMisses; // tests only: predictions miss, steps are replayed
  const uniforms = tf.tensor1d(Float32Array.from({ length: greedy || !predict ? 1 : B * maxNew }, () => (flip ? 1 - stream.next() : stream.next())));
  const decoder = new KVDecoder(model, pads);
  let draws = 0;
  /** state tensor [token (B) | finished (B) | draws] of JavaScript's own choices */
  const stateOf = (tokens: number[]) => tf.tensor1d([...tokens, ...finished.map(Number), draws], 'int32');
  interface Issued {
    step: number;
    logits: tf.Tensor;
    state: tf.Tensor | null; // the GPU's prediction (null: not predicted), also in `states`
    read: Promise<[Float32Array, Int32Array | null]>;
  }
  const inFlight: Issued[] = [];
  let prev: tf.Tensor = stateOf(new Array(B).fill(PAD)); // input of the next issued step
  const states: tf.Tensor[] = [prev]; // every state (2B + 1 ints each), freed at the end
  let next = 0; // next step to issue
  Object.assign(decoderStats, { steps: 0, issued: 0, replays: 0 });
  const issue = () => {
    const step = next++;
    const logits =
      step === 0
        ? tf.tidy(() =>
            decoder.prefill(
              tf.tensor2d(
                prompts.flatMap((p, b) => [...new Array(pads[b]).fill(PAD), ...p]),
                [B, P],
                'int32',
              ),
            ),
          )
        : decoder.step(prev, P + step - 1); // tokens = the first B entries of the state
    const state = predict ? sampleNext(logits, uniforms, prev, sampler) : null;
    if (state) {
      prev = state;
      states.push(state);
    }
    const read = Promise.all([logits.data() as Promise<Float32Array>, state ? (state.data() as Promise<Int32Array>) : Promise.resolve(null)]);
    inFlight.push({ step, logits, state, read });
    decoderStats.issued++;
  };
  const drop = async (items: Issued[]) => {
    await Promise.allSettled(items.map((i) => i.read)); // a tensor must outlive its pending read
    for (const i of items) i.logits.dispose();
  };
  try {
    for (let step = 0; step < maxNew; step++) {
      while (next < maxNew && next - step < depth) issue();
      const head = inFlight.shift()!;
      const [data, predicted] = await head.read;
      const tokens: number[] = [];
      let agree = predicted !== null;
      for (let b = 0; b < B; b++) {
        const tok = finished[b] ? PAD : sampleToken(data.subarray(b * V, (b + 1) * V), opts, rng, BANNED);
        if (!finished[b] && !greedy) draws++;
        tokens.push(tok);
        if (predicted && predicted[b] !== tok) agree = false;
        if (finished[b]) continue;
        out[b].push(tok);
        if (tok === EOS) finished[b] = true;
      }
      await drop([head]);
      decoderStats.steps++;
      if (finished.every(Boolean)) break;
      if (!agree) {
        // the steps issued on a wrong prediction (or none predicted): replay from our tokens
        if (predict) decoderStats.replays++;
        const stale = inFlight.splice(0);
        await drop(stale);
        next = step + 1;
        prev = stateOf(tokens);
        states.push(prev);
      }
    }
  } finally {
    await drop(inFlight.splice(0));
    tf.dispose([...states, uniforms]);
    decoder.dispose();
  }
  return { tokens: out, finished };
}

function keyValid(pads: number[], Tk: number): tf.Tensor2D {
  const data = new Float32Array(pads.length * Tk);
  pads.forEach((pad, b) => data.fill(1, b * Tk + pad, (b + 1) * Tk));
  return tf.tensor2d(data, [pads.length, Tk]);
}

function positionsFor(pads: number[], from: number, to: number): tf.Tensor2D {
  const T = to - from;
  const data = new Int32Array(pads.length * T);
  pads.forEach((pad, b) => {
    for (let j = 0; j < T; j++) data[b * T + j] = Math.max(0, from + j - pad);
  });
  return tf.tensor2d(data, [pads.length, T], 'int32');
}

/** Runs the whole context (B, Tk) and returns the last position's logits (B, V). Fills `cache` when given. */
function fullStep(model: GPT, rows: number[][], pads: number[], cache?: KVCache): tf.Tensor2D {
  return tf.tidy(() => {
    const B = rows.length;
    const Tk = rows[0].length;
    const tokens = tf.tensor2d(rows.flat(), [B, Tk], 'int32');
    const h = model.hidden(tokens, { positions: positionsFor(pads, 0, Tk), keyValid: keyValid(pads, Tk), cache });
    const last = h
      .reshape([B, Tk, model.cfg.dModel])
      .slice([0, Tk - 1, 0], [B, 1, model.cfg.dModel])
      .reshape([B, model.cfg.dModel]);
    return model.unembed(last as tf.Tensor2D);
  });
}

/** Feeds only the newest token of each row (B, 1) against the cached keys/values; returns (B, V). */
function decodeStep(model: GPT, rows: number[][], pads: number[], cache: KVCache): tf.Tensor2D {
  const old = [...cache.k, ...cache.v];
  const logits = tf.tidy(() => {
    const B = rows.length;
    const Tk = rows[0].length;
    const tokens = tf.tensor2d(
      rows.map((r) => r[Tk - 1]),
      [B, 1],
      'int32',
    );
    const h = model.hidden(tokens, { positions: positionsFor(pads, Tk - 1, Tk), keyValid: keyValid(pads, Tk), cache });
    return model.unembed(h);
  });
  for (const t of old) t.dispose(); // replaced by the concatenated cache
  return logits;
}
