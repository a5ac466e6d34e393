import * as tf from '@tensorflow/tfjs';
import gatherSource from '../../../shaders/embedding/gather.wgsl?raw';
import scatterIdsSource from '../../../shaders/embedding/scatter_ids.wgsl?raw';
import scatterPosSource from '../../../shaders/embedding/scatter_pos.wgsl?raw';
import { i32, runFlat } from '../shared/flatProgram';
import { fill } from '../shared/wgsl';

/** The embedding kernels (op.ts holds the op, its reference and its gradient): a gather and a scatter-add. */

export function gatherKernel(tokens: tf.Tensor, positions: tf.Tensor | null, wte: tf.Tensor, wpe: tf.Tensor, T: number): tf.Tensor {
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
    body: fill(gatherSource, { POS: pos }),
  });
}

/**
 * d(table) (rows, C) = Σ_{r: ids[r] = row} dx[r]; ids null: the id of r is r % T.
 * With ids: one thread per table row scans the ids and adds each matching row of dx (every dx row
 * is added by exactly one thread: rows·N compares + N·C adds in all). Without ids: one thread per
 * (position, column) sums the B rows of that position.
 */
export function scatterKernel(ids: tf.Tensor | null, dx: tf.Tensor, rows: number, T: number): tf.Tensor {
  const [N, C] = dx.shape as [number, number];
  if (ids) {
    return runFlat({
      key: 'embed_scatter_ids',
      inputs: [dx, ids],
      names: ['dX', 'Ids'],
      threads: rows,
      outputShape: [rows, C],
      uniforms: { decl: 'N : i32, C : i32, rows : i32,', values: [i32(N), i32(C), i32(rows)] },
      body: scatterIdsSource,
    });
  }
  return runFlat({
    key: 'embed_scatter_pos',
    inputs: [dx],
    names: ['dX'],
    threads: rows * C,
    outputShape: [rows, C],
    uniforms: { decl: 'N : i32, C : i32, T : i32,', values: [i32(N), i32(C), i32(T)] },
    body: scatterPosSource,
  });
}
