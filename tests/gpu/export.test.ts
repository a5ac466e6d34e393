import { expect, test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { PRESETS } from '../../src/model/config';
import { exportModel, importModel } from '../../src/io/modelFiles';
import { modelFromWeights, modelWeights } from '../../src/rlhf/snapshot';

test('the exported safetensors hold the live model: names, shapes, values; re-imported it computes the same logits', async () => {
  await initBackend('webgpu');
  const cfg = PRESETS.micro;
  const model = GPT.create(cfg, 9);
  const files = exportModel(cfg, await modelWeights(model), 'lm');
  // independent reader
  const bytes = files['model.safetensors'];
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  for (const [name, v] of model.params) {
    expect(header[name].shape).toEqual(v.shape);
    const [b, e] = header[name].data_offsets;
    expect(new Float32Array(bytes.slice(8 + n + b, 8 + n + e).buffer)).toEqual(await v.data());
  }
  const back = importModel({ safetensors: bytes, config: files['config.json'] });
  const copy = modelFromWeights(back.cfg, back.weights);
  const { tensor2d } = await import('@tensorflow/tfjs');
  const x = tensor2d([[1, 10, 20, 30]], [1, 4], 'int32');
  expect(await copy.logits(x).data()).toEqual(await model.logits(x).data());
  x.dispose();
  copy.dispose();
  model.dispose();
});
