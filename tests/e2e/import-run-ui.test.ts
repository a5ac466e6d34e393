import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
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
function modelFiles(preset: 'micro' | 'tiny', config?: string) {
  const out = exportModel(PRESETS[preset], initialWeights(PRESETS[preset], 3), 'lm');
  return [
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(out['model.safetensors']) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(config ?? out['config.json']) },
  ];
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
      expect(await readHandle(page, (h) => h.savedRuns.list.length)).toBe(0); // nothing half-made was saved
      expect(await axeViolations(page)).toEqual([]);

      await picker.setInputFiles(modelFiles('micro'));
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 30_000, polling: 50 });
      expect(await page.getByTestId('import-model-status').textContent()).toMatch(/pretraining and SFT are skipped/);
      expect(await error.textContent()).toBe('');
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const saved = await readHandle(page, (h) => {
        const r = h.savedRuns.list[0] as unknown as { imported: unknown; stageStatus: unknown; report: { stages: { pretrain: { steps: number }; sft: { steps: number }; rm: { steps: number } } } };
        return { imported: r.imported, status: r.stageStatus, steps: [r.report.stages.pretrain.steps, r.report.stages.sft.steps, r.report.stages.rm.steps] };
      });
      expect(saved.imported).toEqual({ source: 'model.safetensors', skipped: ['pretrain', 'sft'] });
      expect(saved.status).toEqual({ pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' });
      expect(saved.steps).toEqual([0, 0, 4]);
      expect(await page.getByTestId('run-imported').textContent()).toBe('Started from the imported model model.safetensors: pretraining and SFT were skipped.');
      const stageMessages = await readHandle(page, (h) => (h.run as unknown as { stages: { stage: string; message?: string }[] }).stages.filter((s) => s.stage === 'sft').map((s) => s.message));
      expect(stageMessages.join(' ')).toMatch(/skipped: started from the imported model model\.safetensors/);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
