import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { openApp, startPreview } from './harness';
import { expectResponsive, stopLongTasks, watchLongTasks } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

interface RunView {
  state: string;
  losses: number[];
  samples: unknown[];
}

describe('the built app', () => {
  test('loads without console errors, shows the adapter, trains, the loss falls, samples appear, the page stays responsive', async () => {
    const app = await openApp();
    const { page } = app;
    try {
      await page.getByTestId('adapter').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
      expect(await page.getByTestId('adapter').textContent()).toMatch(/swiftshader/i);

      // Long tasks (> 50 ms) on the main thread while the worker trains.
      await watchLongTasks(page);

      await page.getByTestId('view-lm').click();
      await page.getByTestId('setting-preset').selectOption('micro');
      await page.getByTestId('setting-pretrain.steps').fill('60');
      await page.getByTestId('train').click();
      await page.waitForFunction(() => (window as unknown as { __rlhf: { run: RunView } }).__rlhf.run.state === 'done', null, {
        timeout: 240_000,
        polling: 500,
      });

      const view = await page.evaluate(() => {
        const r = (window as unknown as { __rlhf: { run: RunView } }).__rlhf.run;
        return { losses: [...r.losses], samples: r.samples.length };
      });
      expect(view.losses).toHaveLength(60);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(view.losses.slice(-10))).toBeLessThan(mean(view.losses.slice(0, 10)) - 0.3);
      // the pipeline's pretraining samples four times: every max(10, steps / 4) = 15 steps
      expect(view.samples).toBe(4);
      expect(await page.getByTestId('samples').count()).toBe(4);
      expect(await page.getByTestId('state').textContent()).toBe('done');
      // tokens/s and one timed step's forward / backward / optimizer split
      expect(await page.getByTestId('step-phase-bar').getAttribute('aria-label')).toMatch(/forward \d+ ms, backward \d+ ms, optimizer \d+ ms/);

      expectResponsive(await stopLongTasks(page), 'LM training');
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('without WebGPU the app says why and still trains on wasm', async () => {
    const app = await openApp('', { webgpu: false });
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('backend').textContent()).toBe('wasm');
      expect(await page.getByTestId('fallback-banner').textContent()).toMatch(/WebGPU is not available/);
      await page.getByTestId('view-lm').click();
      await page.getByTestId('setting-preset').selectOption('micro');
      await page.getByTestId('setting-pretrain.steps').fill('30');
      await page.getByTestId('train').click();
      await page.waitForFunction(() => (window as unknown as { __rlhf: { run: RunView } }).__rlhf.run.state === 'done', null, {
        timeout: 120_000,
        polling: 500,
      });
      const losses = await page.evaluate(() => [...(window as unknown as { __rlhf: { run: RunView } }).__rlhf.run.losses]);
      expect(losses).toHaveLength(30);
      expect(losses.every(Number.isFinite)).toBe(true);
      // the numbers are real (an earlier wasm bug wrote int32 bits into float32 one-hots)
      expect(losses[0]).toBeGreaterThan(3.5);
      expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses[0] - 0.3);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
