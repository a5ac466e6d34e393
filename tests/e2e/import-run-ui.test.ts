import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { exportBundle } from '../../src/io/exportBundle';
import { exportModel } from '../../src/io/modelFiles';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';
import { openApp, startPreview } from './harness';
import { TINY, axeViolations, readHandle } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

/** A model's two files as the file picker hands them over. */
function modelFiles(preset: 'micro' | 'tiny', config?: string, weights = initialWeights(PRESETS[preset], 3)) {
  const out = exportModel(PRESETS[preset], weights, 'lm');
  return [
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(out['model.safetensors']) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(config ?? out['config.json']) },
  ];
}

const zipFile = (name: string, bytes: Uint8Array) => ({ name, mimeType: 'application/zip', buffer: Buffer.from(bytes) });

/** An exported run's zip with one bit of a weight flipped: its CRC-32 no longer matches. */
function corruptedZip() {
  const weights = initialWeights(PRESETS.micro, 3);
  const zip = exportBundle(PRESETS.micro, { sft: weights });
  const wte = new Uint8Array(weights.get('wte.weight')!.buffer, 0, 16);
  const at = Buffer.from(zip).indexOf(Buffer.from(wte));
  zip[at + 1] ^= 0x10;
  return zipFile('run.zip', zip);
}

/** One NaN in row 7 of the token embedding. */
function nanWeights() {
  const weights = initialWeights(PRESETS.micro, 3);
  const wte = weights.get('wte.weight')!.slice();
  wte[7 * 32 + 2] = NaN;
  weights.set('wte.weight', wte);
  return weights;
}

/** An entry declaring 4 GB (its data not even deflate) beside a model whose own entry declares 4 GB too. */
function bombZip() {
  const out = exportModel(PRESETS.micro, initialWeights(PRESETS.micro, 3), 'lm');
  const zip = zipSync(
    { 'sft/model.safetensors': out['model.safetensors'], 'sft/config.json': strToU8(out['config.json']), 'junk.bin': new Uint8Array(16) },
    { level: 0 },
  );
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let p = zip.length - 22 - 1; p >= 0; p--) {
    // every central-directory record: declare 4 GB uncompressed for the model and the junk
    if (view.getUint32(p, true) !== 0x02014b50) continue;
    const name = new TextDecoder().decode(zip.subarray(p + 46, p + 46 + view.getUint16(p + 28, true)));
    if (name !== 'sft/config.json') view.setUint32(p + 24, 0xfffffffe, true);
  }
  return zipFile('bomb.zip', zip);
}

describe('a run from an imported model', () => {
  test('wrong size and bad files are refused next to the picker; a good SFT model starts a run that skips pretraining and SFT', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('settings-preset-micro').click();
      for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
      for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
      await page.getByTestId('view-runs').click();
      const picker = page.getByTestId('import-model-files');
      const error = page.getByTestId('import-model-error');

      await picker.setInputFiles(modelFiles('tiny'));
      await page.getByText(/does not have the shape of the “micro” model size/).waitFor();
      expect(await error.textContent()).toMatch(/It has the shape of “tiny”: choose that model size, then import again\./);
      await picker.setInputFiles(modelFiles('micro', '{"model_type": "gpt2", <b>'));
      await page.getByText(/could not be read: config.json is not valid JSON/).waitFor();
      expect(await page.getByTestId('import-model-run').locator('b').count()).toBe(0);
      await picker.setInputFiles([modelFiles('micro')[0]]);
      await page.getByText(/Choose a model’s model.safetensors and config.json together/).waitFor();
      // Hostile files (issue #15): each refused next to the picker, naming the file and the tensor or entry.
      await picker.setInputFiles([corruptedZip()]);
      await page.getByText(/^run\.zip: sft\/model\.safetensors is damaged: its CRC-32 is [0-9a-f]{8} but the zip records [0-9a-f]{8}/).waitFor();
      await picker.setInputFiles(modelFiles('micro', undefined, nanWeights()));
      await page
        .getByText(
          /^The model in model\.safetensors could not be read: model\.safetensors: tensor "wte\.weight" has 1 value that is NaN or ±Infinity, the first at index 226 \[7, 2\]/,
        )
        .waitFor();
      await picker.setInputFiles([bombZip()]);
      await page.getByText(/^bomb\.zip: sft\/model\.safetensors declares 4096 MB uncompressed, more than the 129 MB this import reads/).waitFor();
      const tooLarge = JSON.stringify({ ...JSON.parse(modelFiles('micro')[1].buffer.toString()), n_layer: 1e9 });
      await picker.setInputFiles(modelFiles('micro', tooLarge));
      await page.getByText(/config\.json: n_layer is 1000000000; this app's models have at most 24 layers/).waitFor();
      expect(await readHandle(page, (h) => h.savedRuns.list.length)).toBe(0); // nothing half-made was saved
      expect(await axeViolations(page)).toEqual([]);

      // A whole Hugging Face folder picked: config.json is found by name among the other JSON files.
      const folder = [
        { name: 'generation_config.json', mimeType: 'application/json', buffer: Buffer.from('{"bos_token_id": 1}') },
        ...modelFiles('micro'),
        { name: 'tokenizer_config.json', mimeType: 'application/json', buffer: Buffer.from('{"model_max_length": 64}') },
      ];
      await picker.setInputFiles(folder);
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 30_000, polling: 50 });
      expect(await page.getByTestId('import-model-status').textContent()).toMatch(/pretraining and SFT are skipped/);
      expect(await error.textContent()).toBe('');
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const saved = await readHandle(page, (h) => {
        const r = h.savedRuns.list[0] as unknown as {
          imported: unknown;
          stageStatus: unknown;
          report: { stages: { pretrain: { steps: number }; sft: { steps: number }; rm: { steps: number } } };
        };
        return { imported: r.imported, status: r.stageStatus, steps: [r.report.stages.pretrain.steps, r.report.stages.sft.steps, r.report.stages.rm.steps] };
      });
      expect(saved.imported).toEqual({ source: 'model.safetensors', skipped: ['pretrain', 'sft'] });
      expect(saved.status).toEqual({ pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' });
      expect(saved.steps).toEqual([0, 0, 4]);
      expect(await page.getByTestId('run-imported').textContent()).toBe('Started from the imported model model.safetensors: pretraining and SFT were skipped.');
      const stageMessages = await readHandle(page, (h) =>
        (h.run as unknown as { stages: { stage: string; message?: string }[] }).stages.filter((s) => s.stage === 'sft').map((s) => s.message),
      );
      expect(stageMessages.join(' ')).toMatch(/skipped: started from the imported model model\.safetensors/);

      // Continue in TRL (issue #20): the saved run as one zip of models, datasets and settings for TRL.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-export-trl').first().click()]);
      expect(download.suggestedFilename()).toMatch(/-trl\.zip$/);
      const bundle = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
      expect(Object.keys(bundle)).toEqual(
        expect.arrayContaining(
          ['sft', 'reward', 'value', 'policy']
            .map((m) => `models/${m}/model.safetensors`)
            .concat(['data/sft.jsonl', 'data/preferences_train.jsonl', 'data/rankings_heldout.jsonl']),
        ),
      );
      const settings = JSON.parse(strFromU8(bundle['trl_settings.json'])) as { rloo_config: { beta: number; max_steps: number } };
      expect(settings.rloo_config).toMatchObject({ beta: 0.02, max_steps: 2 * 2 });
      expect(strFromU8(bundle['data/rankings_train.jsonl']).trim().split('\n')).toHaveLength(16);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
