import * as tf from '@tensorflow/tfjs';
import { customOp, i32, runFlat } from './flatProgram';
import { onWebGPU } from './runProgram';
import { tuning } from './tuning';

/**
 * Token + position embedding: tokens (B, T) int → (B·T, C) = wte[tokens] + wpe[positions],
 * positions (B, T) or, when absent, 0..T−1 in every row.
 * Reference: one-hot matmuls (the wasm backend has no gradient for gather).
 * Fused path (webgpu): a gather, one thread per output element; the backward is a scatter-add
 * without atomics: one thread per (row of the table, column) scans the B·T token ids and sums the
 * matching rows of dx (a compare per token; only matches load).
 */
/**
 * One-hot rows as float32. tf.oneHot's own dtype argument is not honoured by the wasm backend
 * (it writes int32 bits into a float32 tensor), so build int32 and cast.
 */
export function oneHotF(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), 'float32');
}

function embedReference(tokens: tf.Tensor2D, wte: tf.Tensor2D, wpe: tf.Tensor2D, positions?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = tokens.shape;
    const [V, C] = wte.shape;
    const tok = tf.matMul(oneHotF(tokens.reshape([B * T]), V), wte);
    const pos = positions ? tf.matMul(oneHotF(positions.reshape([B * T]), wpe.shape[0]), wpe) : tf.tile(tf.slice(wpe, [0, 0], [T, C]), [B, 1]);
    return tf.add(tok, pos) as tf.Tensor2D;
  });
}

function gatherKernel(tokens: tf.Tensor, positions: tf.Tensor | null, wte: tf.Tensor, wpe: tf.Tensor, T: number): tf.Tensor {
  const N = tokens.size;
  const C = wte.shape[1]!;
  const pos = positions ? 'Pos[r]' : 'r % uniforms.T';
  return runFlat({
    key: `embed_fwd_${!!positions}`,
    inputs: positions ? [tokens, wte, wpe, positions] : [tokens, wte, wpe],
    names: positions ? ['Tok', 'Wte', 'Wpe', 'Pos'] : ['Tok', 'Wte', 'Wpe'],
    threads: N * C,
    outputShape: [N, C],
    uniforms: { decl: 'C : i32, T : i32, V : i32, P : i32,', values: [i32(C), i32(T), i32(wte.shape[0]), i32(wpe.shape[0])] },
    body: `let r = index / uniforms.C;
  let c = index - r * uniforms.C;
  let t = clamp(Tok[r], 0, uniforms.V - 1);
  let p = clamp(${pos}, 0, uniforms.P - 1);
  result[index] = Wte[t * uniforms.C + c] + Wpe[p * uniforms.C + c];`,
  });
}

/**
 * d(table) (rows, C) = Σ_{r: ids[r] = row} dx[r]; ids null: the id of r is r % T.
 * With ids: one thread per table row scans the ids and adds each matching row of dx (every dx row
 * is added by exactly one thread: rows·N compares + N·C adds in all). Without ids: one thread per
 * (position, column) sums the B rows of that position.
 */
function scatterKernel(ids: tf.Tensor | null, dx: tf.Tensor, rows: number, T: number): tf.Tensor {
  const [N, C] = dx.shape as [number, number];
  if (ids) {
    return runFlat({
      key: 'embed_scatter_ids',
      inputs: [dx, ids],
      names: ['dX', 'Ids'],
      threads: rows,
      outputShape: [rows, C],
      uniforms: { decl: 'N : i32, C : i32, rows : i32,', values: [i32(N), i32(C), i32(rows)] },
      body: `let o = index * uniforms.C;
  for (var c = 0; c < uniforms.C; c++) { result[o + c] = 0.0; }
  for (var r = 0; r < uniforms.N; r++) {
    if (clamp(Ids[r], 0, uniforms.rows - 1) == index) {
      let i = r * uniforms.C;
      for (var c = 0; c < uniforms.C; c++) { result[o + c] += dX[i + c]; }
    }
  }`,
    });
  }
  return runFlat({
    key: 'embed_scatter_pos',
    inputs: [dx],
    names: ['dX'],
    threads: rows * C,
    outputShape: [rows, C],
    uniforms: { decl: 'N : i32, C : i32, T : i32,', values: [i32(N), i32(C), i32(T)] },
    body: `let v = index / uniforms.C;
  let c = index - v * uniforms.C;
  var s = 0.0;
  if (v < uniforms.T) {
    for (var r = v; r < uniforms.N; r += uniforms.T) { s += dX[r * uniforms.C + c]; }
  }
  result[index] = s;`,
  });
}

export function embed(tokens: tf.Tensor2D, wte: tf.Tensor2D, wpe: tf.Tensor2D, positions?: tf.Tensor2D): tf.Tensor2D {
  if (!(onWebGPU() && tuning.fusedKernels)) return embedReference(tokens, wte, wpe, positions);
  const T = tokens.shape[1];
  const tok = tokens.dtype === 'int32' ? tokens : tf.cast(tokens, 'int32');
  const pos = positions ? (positions.dtype === 'int32' ? positions : tf.cast(positions, 'int32')) : null;
  const f = customOp((te: tf.Tensor, pe: tf.Tensor, save: tf.GradSaveFunc) => {
    save(pos ? [tok, pos] : [tok]); // kept clones: the ids outlive the caller's tidy
    return {
      value: gatherKernel(tok, pos, te, pe, T),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [scatterKernel(saved[0], dy, te.shape[0], T), scatterKernel(saved[1] ?? null, dy, pe.shape[0], T)],
    };
  });
  const out = f(wte, wpe) as tf.Tensor2D;
  if (tok !== tokens) tok.dispose();
  if (pos && pos !== positions) pos.dispose();
  return out;
}
