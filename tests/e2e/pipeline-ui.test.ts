import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, startPreview } from './harness';
import { TINY, axeViolations, overflow, readHandle, screenshot, expectResponsive, stopLongTasks, watchLongTasks } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

describe('the pipeline through the UI', () => {
  const profile = mkdtempSync(join(tmpdir(), 'rlhf-ui-'));
  afterAll(() => rmSync(profile, { recursive: true, force: true }));

  test('settings refuse bad values, the link follows, every stage charts, the run is saved and reopens after a reload', async () => {
    const app = await openApp('?backend=wasm', { userDataDir: profile });
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      // The app's default model size, as a user who changes nothing gets it; only the step counts are cut, so it stays fast.
      expect(await readHandle(page, (h) => h.pipelineConfig.preset)).toBe('tiny');
      await page.getByTestId('settings-preset-tiny').click();
      for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
      for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
      expect(await readHandle(page, (h) => h.pipelineConfig.preset)).toBe('tiny');

      // An out-of-range value is refused at the field, with the reason, and blocks the Run button.
      await page.getByTestId('setting-ppo.beta').fill('5');
      expect(await page.locator('#setting-ppo-beta-help').textContent()).toMatch(/Refused: must be between 0 and 2/);
      expect(await page.getByTestId('run-pipeline').isDisabled()).toBe(true);
      expect(await page.getByTestId('run-reason').textContent()).toMatch(/ppo\.beta must be between 0 and 2/);
      await page.getByTestId('setting-ppo.beta').fill('0.1');
      await page.waitForFunction(() => !(document.querySelector('[data-testid="run-pipeline"]') as HTMLButtonElement).disabled, null, { timeout: 60_000 });

      // The hash holds the (non-default) setup.
      expect(new URL(page.url()).hash).toMatch(/^#r1\.[A-Za-z0-9_-]+$/);
      expect(await readHandle(page, (h) => (h.pipelineConfig.ppo as { beta: number }).beta)).toBe(0.1);

      await watchLongTasks(page);
      await page.getByTestId('run-pipeline').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 20 });
      // A hidden tab while training: the page says the browser throttles it, also after coming back.
      const setVisibility = (state: string) =>
        page.evaluate((s) => {
          Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
          document.dispatchEvent(new Event('visibilitychange'));
        }, state);
      await setVisibility('hidden');
      await setVisibility('visible');
      await page.getByTestId('hidden-warning').waitFor();
      expect(await page.getByTestId('hidden-warning').textContent()).toMatch(/was in the background while training/);
      for (const chart of ['pretrain-loss', 'sft-loss', 'rm-loss', 'ppo-reward']) {
        await page.getByTestId(`chart-${chart}`).waitFor({ timeout: 240_000 });
      }
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      const longTasks = await stopLongTasks(page);
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      // Every stage's curve got its points (the step counts typed above).
      const lengths = await readHandle(page, (h) => [h.run.series.pretrain.loss.length, h.run.series.sft.loss.length, h.run.series.ppo.reward.length]);
      expect(lengths.slice(0, 2)).toEqual([16, 8]);
      expect(lengths[2]).toBeGreaterThanOrEqual(1);
      expect(await page.locator('[data-testid="chart-pretrain-loss"] [data-testid="chart-readout"]').textContent()).toMatch(/^step 16: /);
      await page.getByTestId('report').waitFor();
      expectResponsive(longTasks, 'the pipeline on wasm, through the UI');

      await screenshot(page, 'pipeline', { width: 1280, height: 800 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'pipeline', { width: 390, height: 844 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 360, height: 740 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 800 });
      expect(await axeViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'pipeline-dark', { width: 1280, height: 800 });
      await page.emulateMedia({ colorScheme: 'light' });

      // A second run with another seed, for comparing.
      await page.getByTestId('setting-seed').fill('2');
      await page.getByTestId('run-pipeline').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 100 });
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');

      // The run was saved with its report.
      await page.getByTestId('view-runs').click();
      await page.waitForFunction('window.__rlhf.savedRuns.list.length === 2 && window.__rlhf.savedRuns.list.every((r) => !!r.report)', null, {
        timeout: 30_000,
      });
      expect(await page.getByTestId('run-item').nth(0).getAttribute('data-status')).toBe('done');
      expect(await page.getByTestId('run-item').nth(1).getAttribute('data-status')).toBe('done');

      // Compare: both runs' curves on one chart, with a legend.
      await page.getByTestId('run-compare').nth(0).check();
      await page.getByTestId('run-compare').nth(1).check();
      await page.getByRole('list', { name: 'Runs' }).locator('li').nth(1).waitFor();
      await page.locator('[data-testid="chart-ppo-reward"] path.smooth').nth(1).waitFor({ state: 'attached' });
      expect(await page.locator('[data-testid="chart-ppo-reward"] path.smooth').count()).toBe(2);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'compare', { width: 1280, height: 800 });
      await page.setViewportSize({ width: 1280, height: 800 });

      // Delete asks first; keep the older run.
      await page.getByTestId('run-delete').nth(0).click();
      await page.getByTestId('run-delete-confirm').click();
      await page.waitForFunction('window.__rlhf.savedRuns.list.length === 1');

      // Rename: an empty name is refused with the reason; a good one sticks.
      await page.getByTestId('run-rename').click();
      await page.getByTestId('run-name-input').fill('   ');
      await page.getByTestId('run-name-save').click();
      await page.getByText('The run name must not be empty.').waitFor();
      await page.getByTestId('run-name-input').fill('<b>first</b> tiny run');
      await page.getByTestId('run-name-save').click();
      await page.getByTestId('run-name').waitFor();
      expect(await page.getByTestId('run-name').textContent()).toBe('<b>first</b> tiny run');
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }

    // Reload in the same profile: the run is listed and reopens with its curves and report.
    const again = await openApp('?backend=wasm', { userDataDir: profile });
    try {
      const p = again.page;
      await p.getByTestId('view-runs').click();
      await p.getByTestId('run-item').waitFor({ timeout: 30_000 });
      expect(await p.getByTestId('run-name').textContent()).toBe('<b>first</b> tiny run');
      await p.getByTestId('run-open').click();
      await p.getByTestId('opened-run').waitFor();
      for (const chart of ['pretrain-loss', 'sft-loss', 'rm-loss', 'ppo-reward']) {
        await p.getByTestId(`chart-${chart}`).waitFor();
      }
      await p.getByTestId('report').waitFor();
      await screenshot(p, 'runs', { width: 1280, height: 800 });
      await screenshot(p, 'runs', { width: 390, height: 844 });
      expect(await overflow(p)).toBeLessThanOrEqual(0);
      // Export: a zip of Hugging Face GPT-2 folders, one per model of the latest checkpoint.
      const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('run-export').click()]);
      const { unzipSync } = await import('fflate');
      const { readFileSync } = await import('node:fs');
      const zipped = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
      for (const model of ['base', 'sft', 'reward', 'policy', 'value']) {
        expect(Object.keys(zipped)).toContain(`${model}/model.safetensors`);
        expect(Object.keys(zipped)).toContain(`${model}/config.json`);
      }
      // Delete asks first.
      await p.getByTestId('run-delete').click();
      await p.getByTestId('run-delete-confirm').click();
      await p.getByTestId('runs-empty').waitFor();
      expect(again.consoleErrors).toEqual([]);
    } finally {
      await again.close();
    }
  });

  test('a run killed mid-way (tab closed) offers to resume after reopening, and finishes with whole curves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-resume-'));
    try {
      const app = await openApp('?backend=wasm', { userDataDir: dir });
      try {
        const { page } = app;
        await page.getByTestId('engine').waitFor({ timeout: 60_000 });
        await page.getByTestId('settings-preset-micro').click();
        for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
        for (const [key, value] of Object.entries({ ...TINY, 'rm.steps': '10', 'ppo.iterations': '8', 'ppo.rolloutBatch': '16' })) {
          await page.getByTestId(`setting-${key}`).fill(value);
        }
        await page.getByTestId('run-pipeline').click();
        // Kill the tab as soon as the first stage's checkpoint is on disk.
        // (The page writes the curves at each checkpoint; wait for that write, then kill.)
        await page.waitForFunction(
          'Object.keys(window.__rlhf.savedRuns.checkpoints).length > 0 && window.__rlhf.savedRuns.list[0]?.metrics.pretrain.loss?.length === 16',
          null,
          { timeout: 120_000, polling: 20 },
        );
        expect(await readHandle(page, (h) => h.run.state)).toBe('training');
      } finally {
        await app.close();
      }

      const again = await openApp('?backend=wasm', { userDataDir: dir });
      try {
        const p = again.page;
        await p.getByTestId('engine').waitFor({ timeout: 60_000 });
        await p.getByTestId('resume-banner').waitFor({ timeout: 30_000 });
        expect(await p.getByTestId('resume-banner').textContent()).toMatch(/stopped before it finished.*latest checkpoint \(end of (base LM|SFT|reward model)/);
        expect(await axeViolations(p)).toEqual([]);
        await p.getByTestId('resume-latest').click();
        await p.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 30_000, polling: 100 });
        await p.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
        expect(await readHandle(p, (h) => h.run.state)).toBe('done');
        await p.waitForFunction('!!window.__rlhf.savedRuns.list[0].report', null, { timeout: 30_000 });
        const saved = await readHandle(p, (h) => {
          const r = h.savedRuns.list[0] as unknown as { metrics: Record<string, Record<string, number[]>>; stageStatus: Record<string, string> };
          return { pretrain: r.metrics.pretrain.loss.length, sft: r.metrics.sft.loss.length, ppo: r.metrics.ppo.iteration?.length ?? 0, status: r.stageStatus };
        });
        expect(saved.pretrain).toBe(16);
        expect(saved.sft).toBe(8);
        expect(saved.ppo).toBeGreaterThanOrEqual(1);
        expect(saved.status).toEqual({ pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' });
        await p.getByTestId('view-runs').click();
        expect(await p.getByTestId('run-item').count()).toBe(1);
        expect(await p.getByTestId('run-item').getAttribute('data-status')).toBe('done');
        expect(again.consoleErrors).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on WebGPU (SwiftShader here) too: every stage charts and the page never blocks', async () => {
    // forced: on SwiftShader the app would otherwise time webgpu against wasm and may train on wasm
    const app = await openApp('?backend=webgpu');
    const { page } = app;
    try {
      await page.getByTestId('adapter').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
      await page.getByTestId('settings-preset-micro').click();
      for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
      for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
      await watchLongTasks(page);
      await page.getByTestId('run-pipeline').click();
      for (const chart of ['pretrain-loss', 'sft-loss', 'rm-loss', 'ppo-reward']) {
        await page.getByTestId(`chart-${chart}`).waitFor({ timeout: 180_000 });
      }
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 180_000, polling: 500 });
      const longTasks = await stopLongTasks(page);
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      expect(await page.getByTestId('memory').textContent()).toMatch(/GPU memory in use: \d+ MiB in \d+ tensors/);
      expectResponsive(longTasks, 'the pipeline on WebGPU');
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
