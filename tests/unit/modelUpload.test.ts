import { describe, expect, test } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { exportModel } from '../../src/io/modelFiles';
import { exportBundle } from '../../src/io/exportBundle';
import { presetProblem, readUploadedModel, type PickedFile } from '../../src/io/modelUpload';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';

const micro = initialWeights(PRESETS.micro, 5);
const files = (): PickedFile[] => {
  const out = exportModel(PRESETS.micro, micro, 'lm');
  return [
    { name: 'model.safetensors', bytes: out['model.safetensors'] },
    { name: 'config.json', bytes: strToU8(out['config.json']) },
    { name: 'vocab.json', bytes: strToU8(out['vocab.json']) },
  ];
};

describe('a model picked to start a run from', () => {
  test('model.safetensors + config.json picked together read back bit-exactly', () => {
    const m = readUploadedModel(files());
    expect(m.source).toBe('model.safetensors');
    expect(presetProblem(m.cfg, 'micro')).toBe('');
    for (const [name, data] of micro) expect(m.weights.get(name)).toEqual(data);
  });

  test('an exported run zip: its sft folder, else its only model; several without sft is refused', () => {
    const withSft = exportBundle(PRESETS.micro, { base: initialWeights(PRESETS.micro, 9), sft: micro }, {});
    const m = readUploadedModel([{ name: 'run.zip', bytes: withSft }]);
    expect(m.source).toBe('run.zip › sft');
    expect(m.weights.get('wte.weight')).toEqual(micro.get('wte.weight'));
    expect(readUploadedModel([{ name: 'one.zip', bytes: exportBundle(PRESETS.micro, { policy: micro }, {}) }]).source).toBe('one.zip › policy');
    expect(() => readUploadedModel([{ name: 'two.zip', bytes: exportBundle(PRESETS.micro, { base: micro, policy: micro }, {}) }])).toThrow(
      'two.zip holds several models (base, policy) and no “sft” folder: pick the files of one model.',
    );
    // judging a policy: the zip's policy folder (an exported run's policy/, a TRL bundle's models/policy/)
    const run = exportBundle(PRESETS.micro, { sft: initialWeights(PRESETS.micro, 9), policy: micro }, {});
    expect(readUploadedModel([{ name: 'run.zip', bytes: run }], 'policy').source).toBe('run.zip › policy');
    expect(readUploadedModel([{ name: 'run.zip', bytes: run }], 'policy').weights.get('wte.weight')).toEqual(micro.get('wte.weight'));
    expect(() => readUploadedModel([{ name: 'two.zip', bytes: exportBundle(PRESETS.micro, { base: micro, sft: micro }, {}) }], 'policy')).toThrow(
      'two.zip holds several models (base, sft) and no “policy” folder: pick the files of one model.',
    );
    expect(() => readUploadedModel([{ name: 'empty.zip', bytes: zipSync({ 'x.txt': strToU8('x') }) }])).toThrow('empty.zip holds no model.safetensors.');
    expect(() => readUploadedModel([{ name: 'bad.zip', bytes: strToU8('not a zip') }])).toThrow('bad.zip is not a readable zip file.');
  });

  test('bad files are refused in words', () => {
    expect(() => readUploadedModel([files()[0]])).toThrow(/Choose a model’s model.safetensors and config.json together/);
    expect(() => readUploadedModel([files()[0], { name: 'config.json', bytes: strToU8('{nope') }])).toThrow(
      /^The model in model.safetensors could not be read: config.json is not valid JSON/,
    );
    const truncated = files()[0].bytes.slice(0, 100);
    expect(() => readUploadedModel([{ name: 'model.safetensors', bytes: truncated }, files()[1]])).toThrow(
      /^The model in model.safetensors could not be read: /,
    );
    const score = exportModel(PRESETS.micro, new Map([...micro, ['score.weight', new Float32Array(32)], ['score.bias', new Float32Array(1)]]), 'score');
    expect(() =>
      readUploadedModel([
        { name: 'model.safetensors', bytes: score['model.safetensors'] },
        { name: 'config.json', bytes: strToU8(score['config.json']) },
      ]),
    ).toThrow(/is a reward or value model/);
  });

  test('a model of another size is refused, naming the size that fits', () => {
    expect(presetProblem(PRESETS.micro, 'tiny')).toBe(
      'The model (d_model 32, 1 layer, 2 heads, context 64) does not have the shape of the “tiny” model size in the settings (d_model 64, 2 layers, 4 heads, context 64). It has the shape of “micro”: choose that model size, then import again.',
    );
    expect(presetProblem({ ...PRESETS.micro, dModel: 48 }, 'micro')).toMatch(/No model size of this app has that shape\.$/);
  });
});
