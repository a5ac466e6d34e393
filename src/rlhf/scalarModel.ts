import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { linear } from '../kernels/linear/op';
import { lastHidden, responseHidden, sequenceHidden, type SequenceBatch } from './sequences';

/**
 * A GPT backbone with a scalar head, for the reward model and the value model.
 * The unembedding is not used (the token embedding still embeds the input). The head is
 * `score.weight` (C, 1) and `score.bias` (1), stored in the backbone's parameter map so the
 * optimizer, checkpoints and exports see one set of parameters.
 *
 * - reward model: the head reads the hidden state at the LAST real token (EOS) → one score per row;
 * - value model: the head reads the hidden state that predicts each response token → V(s_t) per token.
 * The value model starts as a copy of the reward model (InstructGPT), so both heads agree at t = 0.
 */
export class ScalarModel {
  constructor(readonly backbone: GPT) {
    if (!backbone.params.has('score.weight')) {
      const C = backbone.cfg.dModel;
      backbone.params.set(
        'score.weight',
        tf.tidy(() => tf.variable(tf.zeros([C, 1]), true, `${backbone.p('wte.weight').name}/score.weight`)),
      );
      backbone.params.set(
        'score.bias',
        tf.tidy(() => tf.variable(tf.zeros([1]), true, `${backbone.p('wte.weight').name}/score.bias`)),
      );
    }
  }

  /** h·w + b (N, C) → (N): one pass forward and two back on webgpu (kernels/linear), tf.matMul + tf.add elsewhere. */
  private head(h: tf.Tensor2D): tf.Tensor1D {
    return linear(h, this.backbone.p('score.weight') as tf.Tensor2D, this.backbone.p('score.bias') as tf.Tensor1D).reshape([h.shape[0]]);
  }

  /** Reward-model scores (N). Call inside tidy. */
  scores(b: SequenceBatch, training = false, dropoutSeed = 0): tf.Tensor1D {
    return this.head(lastHidden(sequenceHidden(this.backbone, b, training, dropoutSeed), b));
  }

  /** Per-token values (N, R). Call inside tidy. */
  values(b: SequenceBatch, training = false, dropoutSeed = 0): tf.Tensor2D {
    const h = responseHidden(sequenceHidden(this.backbone, b, training, dropoutSeed), b.layout);
    return this.head(h).reshape([b.N, b.layout.R]);
  }

  /** Shifts the head's bias (the reward model is normalised so demonstrations score mean 0). */
  addBias(delta: number): void {
    const bias = this.backbone.p('score.bias');
    tf.tidy(() => bias.assign(tf.add(bias, delta)));
  }

  clone(): ScalarModel {
    return new ScalarModel(this.backbone.clone());
  }

  dispose(): void {
    this.backbone.dispose();
  }
}
