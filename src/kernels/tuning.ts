/**
 * The kernels' and the decoder's testing interface: every switch, in one object, and the decoder's
 * counters. Production code only reads `tuning`; it is written by the worker (`fusedKernels`, the
 * user's setting), the tests (tests/gpu: each path and each workgroup shape on an adapter that would
 * not choose it; tests/gpu/setup.ts puts the defaults back after each test) and the benchmarks
 * (scripts/bench: the paths timed against each other), through setTuning.
 *
 * Defaults are what the app runs with; `null` means "the op chooses" (per adapter or per shape).
 * A knob stays here only while a caller outside the op needs it: the doc line of each says who.
 * Two members exist for tests alone, each saying why: the switch `predictorMisses` (the decoder's
 * replay path on demand) and the counters `decoderStats` (generate.ts writes them, tests read them).
 */

/** Register block of one matmul invocation: rm rows × cv vec4 column groups (4·cv columns). */
export interface MatmulBlock {
  rm: number;
  cv: number;
}

/** Threads per row (a power of two) and rows per workgroup of a per-row pass. */
export interface RowLayout {
  tpr: number;
  rpw: number;
}

/** Workgroup shapes of the PPO-ptx loss's three passes (`reduce`: threads of its one reduce workgroup). */
export interface PpoPtxLayouts {
  fwd: RowLayout;
  bwd: RowLayout;
  reduce: number;
}

export interface Tuning {
  /**
   * The fused WGSL kernels on webgpu (true) or the composed tfjs-op references (false). The one product
   * setting here: the UI's switch reaches it through the worker's `settings` command; the parity tests and
   * the bench flip it to compare the two paths.
   */
  fusedKernels: boolean;
  /**
   * Row attention (one thread per row, kernels/rowAttention) for training-shaped attention; null: on CPU
   * adapters only. Tests force it on to run it through the model.
   */
  rowAttention: boolean | null;
  /** At most this much workgroup memory (bytes) for attention tiles. Tests reach the 16 KiB floor's tiles. */
  attentionStorageLimit: number | null;
  /** The largest attention tile. Tests cross many tile boundaries on small T. */
  attentionMaxTile: number | null;
  /** Every matmul's register block (null: by output size). Tests run each block shape. */
  matmulBlock: MatmulBlock | null;
  /** The PPO-ptx loss's workgroup shapes (null: per adapter). Tests and the bench run the GPU shapes on SwiftShader. */
  ppoPtxLayouts: PpoPtxLayouts | null;
  /**
   * The KV decoder (model/decoder.ts) for generation: null whenever it can run, false: GPT.hidden with a
   * tf.concat cache. Tests compare the two, the bench times them.
   */
  kvDecoder: boolean | null;
  /** Decode steps in flight (null: generate.ts's PIPELINE_DEPTH; 1: no speculation). Tests compare the two. */
  decodePipelineDepth: number | null;
  /**
   * Feed the GPU next-token predictor 1 − u instead of u, so its predictions miss and steps are replayed.
   * Real runs replay only when float32 and float64 disagree at an interval boundary (rare): tests need the
   * replay path on demand, and it cannot be reached from outside generate().
   */
  predictorMisses: boolean;
}

const DEFAULTS: Readonly<Tuning> = {
  fusedKernels: true,
  rowAttention: null,
  attentionStorageLimit: null,
  attentionMaxTile: null,
  matmulBlock: null,
  ppoPtxLayouts: null,
  kvDecoder: null,
  decodePipelineDepth: null,
  predictorMisses: false,
};

const current: Tuning = { ...DEFAULTS };

/** The switches as they are now (read them at call time: they change between calls). */
export const tuning: Readonly<Tuning> = current;

/** Sets the given switches; the others keep their values. */
export function setTuning(knobs: Partial<Tuning>): void {
  if (knobs.ppoPtxLayouts) checkLayouts(knobs.ppoPtxLayouts);
  Object.assign(current, knobs);
}

function checkLayouts(layouts: PpoPtxLayouts): void {
  const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  const rowOk = (l: RowLayout) => pow2(l.tpr) && Number.isInteger(l.rpw) && l.rpw >= 1 && l.tpr * l.rpw <= 256;
  if (!rowOk(layouts.fwd) || !rowOk(layouts.bwd) || !pow2(layouts.reduce) || layouts.reduce > 256) {
    throw new Error(`ppoPtxLayouts: threads per row and reduce threads must be powers of two, workgroups <= 256 threads, got ${JSON.stringify(layouts)}`);
  }
}

/**
 * What the last pipelined decode did (model/generate.ts, which writes it): steps kept, steps issued,
 * and steps issued again after a missed prediction. Tests only: the replays cannot be seen from
 * outside generate(), and tests check that the GPU predicted every step (and, with predictorMisses,
 * that the replay path ran).
 */
export const decoderStats = { steps: 0, issued: 0, replays: 0 };
