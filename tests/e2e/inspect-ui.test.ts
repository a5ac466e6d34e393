import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { openApp, startPreview } from './harness';
import { TINY, axeViolations, overflow, readHandle, screenshot, expectResponsive, stopLongTasks, watchLongTasks } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

describe('after a run: samples side by side, attention maps, labeling from the trained model', () => {
  test('the user’s label joins training; the trained models are scored token by token, attend, and write labeling sets', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });

      // One ranking of our own (K = 4 = rm.k), to be mixed into the reward model's data.
      await page.getByTestId('view-label').click();
      await page.getByTestId('rank-item').first().waitFor();
      expect(await page.getByTestId('label-source').count()).toBe(0); // no trained model yet
      await page.getByTestId('submit-ranking').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-rank-count"]')?.textContent === '1');

      await page.getByTestId('view-pipeline').click();
      await page.getByTestId('settings-preset-tiny').click();
      for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
      for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
      expect(await page.getByTestId('user-labels-count').textContent()).toMatch(/0 demonstrations for SFT and 1 ranking with K = 4/);
      await page.getByTestId('user-labels-mix').check();
      // The fused-kernel switch reaches the worker (a no-op on wasm) and back on.
      await page.getByTestId('fused-kernels').uncheck();
      await page.getByTestId('fused-kernels').check();

      await watchLongTasks(page);
      await page.getByTestId('run-pipeline').click();
      await page.getByTestId('user-labels-used').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('user-labels-used').textContent()).toMatch(/1 of your rankings, mixed with the simulated labelers/);
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 20 });
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      const longTasks = await stopLongTasks(page);
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      expectResponsive(longTasks, 'a run with the user’s rankings');

      // The finished run's models are loaded by themselves.
      await page.waitForFunction('window.__rlhf.inspection.models.length === 5', null, { timeout: 60_000 });

      // Samples side by side, coloured token by token; hover shows the numbers.
      await page.getByTestId('view-inspect').click();
      await page.getByTestId('models-loaded').waitFor();
      expect(await page.getByTestId('hacking-caption').textContent()).toMatch(/Reward hacking/);
      await page.waitForFunction('window.__rlhf.samplesView.busy === false && Object.keys(window.__rlhf.samplesView.scores).length > 0', null, {
        timeout: 60_000,
      });
      const firstCard = page.getByTestId('sample-card').first();
      const strip = firstCard.getByTestId('answer-ppo').getByTestId('token-strip');
      await strip.waitFor();
      expect(await firstCard.getByTestId('answer-ppo').locator('.head').textContent()).toMatch(/labeler -?\d\.\d\d.*RM −?\d+\.\d\d/);
      const tok = strip.getByTestId('token').first();
      await tok.hover();
      const readout = firstCard.getByTestId('answer-ppo').getByTestId('token-readout');
      expect(await readout.textContent()).toMatch(/log-prob −?\d+\.\d\d \(p = \d\.\d\d\) · KL to SFT [+−]?\d+\.\d\d · value −?\d+\.\d\d/);
      const bgLogprob = await tok.evaluate((el) => (el as HTMLElement).style.background);
      expect(bgLogprob).toMatch(/color-mix/);
      await page.getByTestId('colour-kl').check();
      await page.getByTestId('colour-value').check();
      // Value colours span the values shown, symmetric around 0: the largest |value| gets the full colour, and the legend says so.
      const maxAbs = await readHandle(page, (h) => {
        const scores = (h as unknown as { samplesView: { scores: Record<string, { value: number[] }> } }).samplesView.scores;
        return Math.max(...Object.values(scores).flatMap((sc) => sc.value.filter((v) => Number.isFinite(v)).map((v) => Math.abs(v))));
      });
      expect(await page.getByTestId('legend-pos').textContent()).toBe(`+${maxAbs.toFixed(maxAbs < 0.1 ? 3 : 2)}`);
      expect(await page.getByTestId('legend-neg').textContent()).toBe(`−${maxAbs.toFixed(maxAbs < 0.1 ? 3 : 2)}`);
      expect(await page.locator('[data-testid="token"][style*=" 55%"]').count()).toBeGreaterThan(0);
      // Keyboard: focus the strip's token, → moves on, the readout follows.
      await tok.focus();
      await page.keyboard.press('ArrowRight');
      const second = await strip
        .getByTestId('token')
        .nth(1)
        .evaluate((el) => el === document.activeElement);
      expect(second).toBe(true);
      expect(await readout.textContent()).toMatch(/value −?\d+\.\d\d/);
      // Text stays text: the prompt is in the DOM as text.
      const prompt = await readHandle(page, (h) => (h.run.report as { eval: { samples: { prompt: string }[] } }).eval.samples[0].prompt);
      expect(await firstCard.locator('h3').textContent()).toContain(prompt.trim());

      // The attention map of that sample: a heat map with pixels, layers/heads to choose, a table fallback.
      await firstCard.getByTestId('answer-ppo').getByTestId('attend').click();
      await page.getByTestId('attention-heatmap').waitFor({ timeout: 30_000 });
      const painted = await page.getByTestId('attention-heatmap').evaluate((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = new Set<number>();
        for (let i = 0; i < data.length; i += 4 * 7) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        return colours.size;
      });
      expect(painted).toBeGreaterThan(5);
      await page.getByTestId('attention-head').selectOption('1');
      const box = (await page.getByTestId('attention-heatmap').boundingBox())!;
      await page.getByTestId('attention-heatmap').hover({ position: { x: box.width * 0.6, y: box.height * 0.9 } });
      expect(await page.getByTestId('attention-readout').textContent()).toMatch(/query \d+ .* → key \d+ .*: \d\.\d{3}/);
      await page.getByText('The same as a table').click();
      await page.getByTestId('attention-table').waitFor();
      expect(await page.getByTestId('attention-table').locator('tbody tr').count()).toBeGreaterThan(5);

      await screenshot(page, 'inspect', { width: 1280, height: 800 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'inspect', { width: 390, height: 844 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 800 });
      expect(await axeViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await axeViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'light' });

      // Labeling from the trained policy.
      await page.getByTestId('view-label').click();
      await page.getByTestId('label-source-policy').check();
      await page.waitForFunction(() => document.querySelector('[data-testid="label-origin"]')?.getAttribute('data-source') === 'policy', null, {
        timeout: 30_000,
      });
      expect(await page.getByTestId('label-origin').textContent()).toMatch(/sampled from the policy model/);
      expect(await page.getByTestId('rank-item').count()).toBeGreaterThanOrEqual(2);
      await page.getByTestId('submit-ranking').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-rank-count"]')?.textContent === '2');
      await page.waitForFunction(() => document.querySelector('[data-testid="label-origin"]')?.textContent?.includes('policy model'), null, {
        timeout: 30_000,
      });
      expect(await axeViolations(page)).toEqual([]);

      // Inspect from the Runs panel: the saved run's models load again and the samples view opens.
      const generation = await readHandle(page, (h) => (h as unknown as { inspection: { generation: number } }).inspection.generation);
      await page.getByTestId('view-runs').click();
      await page.getByTestId('run-inspect').click();
      await page.getByTestId('samples-compare').waitFor();
      await page.waitForFunction(
        (g) => (window as unknown as { __rlhf: { inspection: { generation: number; loading: boolean } } }).__rlhf.inspection.generation > g,
        generation,
        { timeout: 30_000 },
      );
      await page.getByTestId('models-loaded').waitFor();
      await page.getByTestId('sample-card').first().getByTestId('token-strip').first().waitFor({ timeout: 60_000 });
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
