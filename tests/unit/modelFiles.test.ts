import { describe, expect, test } from 'vitest';
import { exportModel, importModel } from '../../src/io/modelFiles';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';

const cfg = { ...PRESETS.micro, nLayer: 2 };

/** An independent safetensors reader: 8-byte little-endian header length, JSON header, byte offsets. */
function readSafetensors(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const base = 8 + n;
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, info] of Object.entries(header as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>)) {
    if (name === '__metadata__') continue;
    expect(info.dtype).toBe('F32');
    const [b, e] = info.data_offsets;
    out.set(name, { shape: info.shape, values: new Float32Array(bytes.slice(base + b, base + e).buffer) });
  }
  return { header, tensors: out };
}

describe('model export in the Hugging Face GPT-2 layout', () => {
  const weights = initialWeights(cfg, 3);

  test('an independent reader finds every GPT-2 name with the right shape and the exact values', () => {
    const files = exportModel(cfg, weights, 'lm');
    const { header, tensors } = readSafetensors(files['model.safetensors']);
    expect(header.__metadata__.format).toBe('pt');
    expect(tensors.get('wte.weight')!.shape).toEqual([100, cfg.dModel]);
    expect(tensors.get('h.1.attn.c_attn.weight')!.shape).toEqual([cfg.dModel, 3 * cfg.dModel]);
    expect(tensors.get('h.0.mlp.c_fc.weight')!.shape).toEqual([cfg.dModel, 4 * cfg.dModel]);
    expect(tensors.size).toBe(weights.size);
    for (const [name, data] of weights) expect(tensors.get(name)!.values).toEqual(data);
    const config = JSON.parse(files['config.json']);
    expect(config).toMatchObject({
      model_type: 'gpt2',
      n_embd: cfg.dModel,
      n_layer: 2,
      n_head: cfg.nHead,
      n_positions: cfg.contextLength,
      vocab_size: 100,
      tie_word_embeddings: true,
      architectures: ['GPT2LMHeadModel'],
    });
    const vocab = JSON.parse(files['vocab.json']);
    expect(vocab['Ġ']).toBeDefined();
    expect(vocab['a']).toBeDefined();
    expect(Object.keys(vocab)).toHaveLength(100);
  });

  test('import reads the files back bit-exactly (policy and reward model)', () => {
    const files = exportModel(cfg, weights, 'lm');
    const back = importModel({ safetensors: files['model.safetensors'], config: files['config.json'] });
    expect(back.cfg).toEqual({ ...cfg, dropout: 0 });
    expect(back.head).toBe('lm');
    for (const [name, data] of weights) expect(back.weights.get(name)).toEqual(data);

    const rm = new Map(weights);
    rm.set(
      'score.weight',
      Float32Array.from({ length: cfg.dModel }, (_, i) => i / 7),
    );
    rm.set('score.bias', Float32Array.of(-0.25));
    const rmFiles = exportModel(cfg, rm, 'score');
    expect(JSON.parse(rmFiles['config.json']).architectures).toEqual(['GPT2ForSequenceClassification']);
    const rmBack = importModel({ safetensors: rmFiles['model.safetensors'], config: rmFiles['config.json'] });
    expect(rmBack.head).toBe('score');
    for (const [name, data] of rm) expect(rmBack.weights.get(name)).toEqual(data);
  });

  test('mismatched files are refused with the name of what is wrong', () => {
    const files = exportModel(cfg, weights, 'lm');
    const config = JSON.parse(files['config.json']);
    expect(() => importModel({ safetensors: files['model.safetensors'], config: JSON.stringify({ ...config, n_embd: 64 }) })).toThrow(/wte.weight/);
    expect(() => importModel({ safetensors: files['model.safetensors'], config: '{' })).toThrow(/not valid JSON/);
    expect(() => importModel({ safetensors: files['model.safetensors'].slice(0, 100), config: files['config.json'] })).toThrow();
  });
});

describe('export bundle', () => {
  test('one folder per model, each loadable by importModel', async () => {
    const { exportBundle } = await import('../../src/io/exportBundle');
    const { unzipSync, strFromU8 } = await import('fflate');
    const policy = initialWeights(cfg, 1);
    const reward = new Map(initialWeights(cfg, 2));
    reward.set('score.weight', new Float32Array(cfg.dModel).fill(0.5));
    reward.set('score.bias', Float32Array.of(1));
    const files = unzipSync(exportBundle(cfg, { policy, reward }));
    expect(Object.keys(files).sort()).toEqual(
      ['policy', 'reward']
        .flatMap((m) =>
          ['config.json', 'merges.txt', 'model.safetensors', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json'].map((f) => `${m}/${f}`),
        )
        .sort(),
    );
    const back = importModel({ safetensors: files['reward/model.safetensors'], config: strFromU8(files['reward/config.json']) });
    expect(back.head).toBe('score');
    expect(back.weights.get('score.bias')).toEqual(Float32Array.of(1));
    expect(importModel({ safetensors: files['policy/model.safetensors'], config: strFromU8(files['policy/config.json']) }).weights.get('wte.weight')).toEqual(
      policy.get('wte.weight'),
    );
  });
});
