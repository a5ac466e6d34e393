import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { exportModel } from '../../src/io/modelFiles';
import { PRESETS } from '../../src/model/config';
import { initialWeights } from '../../src/model/params';
import { openApp, startPreview } from './harness';
import { TINY, axeViolations, overflow, readHandle, screenshot } from './ui-helpers';

/** Judging an imported policy against a saved run, through the UI (#20): the run's own exported policy is judged as the run judged it. */
let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

interface JudgedRecord {
  name: string;
  forkedFrom?: { runName: string; stage: string; policy?: string };
  report?: { eval: { labeler_score: { sft: number; ppo: number }; winrate_ppo_vs_sft: number }; judged?: { policy: string; run_name: string } };
}

const cells = (page: Page, row: string) => page.getByTestId(`judge-row-${row}`).locator('td').allTextContents();

describe('judging an imported policy', () => {
  test('a saved run’s exported policy judged against it: a wrong shape is refused next to the picker; the result sits beside the run’s own evaluation, also after a reload', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('settings-preset-micro').click();
      for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
      for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
      await page.getByTestId('run-pipeline').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 20 });
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 300_000, polling: 500 });
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const source = await readHandle(page, (h) => h.savedRuns.list[0].name);

      await page.getByTestId('view-runs').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-export').first().click()]);
      const zip = { name: download.suggestedFilename(), mimeType: 'application/zip', buffer: readFileSync((await download.path())!) };

      await page.getByTestId('run-judge').first().click();
      await page.getByTestId('judge-panel').waitFor();
      expect(await page.getByTestId('judge-panel').textContent()).toMatch(/same seed.*same test prompts.*same held-out labelers/s);
      const picker = page.getByTestId('judge-files');
      const tiny = exportModel(PRESETS.tiny, initialWeights(PRESETS.tiny, 2), 'lm');
      await picker.setInputFiles([
        { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(tiny['model.safetensors']) },
        { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(tiny['config.json']) },
      ]);
      await page
        .getByTestId('judge-error')
        .filter({ hasText: /does not have the shape/ })
        .waitFor();
      expect(await page.getByTestId('judge-error').textContent()).toBe(
        `The imported policy does not have the shape of “${source}”’s model: n_embd 64 (the run’s: 32), n_layer 2 (the run’s: 1), n_head 4 (the run’s: 2). ` +
          'Only a model of the run’s own shape can be judged against it.',
      );
      expect(await readHandle(page, (h) => h.savedRuns.list.length)).toBe(1); // nothing was saved
      expect(await axeViolations(page)).toEqual([]);

      await picker.setInputFiles([zip]);
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 30_000, polling: 20 });
      expect(await page.getByTestId('judge-status').textContent()).toMatch(/the evaluation runs now/);
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      const ran = await readHandle(page, (h) =>
        (h.run as unknown as { stages: { stage: string; state: string }[] }).stages.filter((s) => s.state === 'running'),
      );
      expect(ran.map((s) => s.stage)).toEqual(['eval']);
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const judged = (await readHandle(page, (h) => h.savedRuns.list[0])) as unknown as JudgedRecord;
      const policy = `${zip.name} › policy`;
      expect(judged.forkedFrom).toEqual({ runId: expect.any(String), runName: source, stage: 'eval', policy });
      expect(judged.report?.judged).toMatchObject({ policy, run_name: source });

      // The side-by-side table: the run's own policy, judged again, scores exactly what the run's evaluation gave it.
      await page.getByTestId('judge-report').waitFor();
      for (const row of ['score', 'winrate', 'loss', 'tax']) {
        const [, run, imported] = await cells(page, row);
        expect(imported, row).toBe(run);
        expect(run, row).not.toBe('–');
      }
      expect(await page.getByTestId('run-headline').first().textContent()).toMatch(/^Imported policy preferred to SFT \d+% · the run’s PPO \d+%$/);
      expect(await page.getByTestId('run-forked').first().textContent()).toMatch(
        new RegExp(`^Judges the policy imported from ${zip.name.replace(/\./g, '\\.')} › policy against “`),
      );
      expect(await axeViolations(page)).toEqual([]);
      await page.getByTestId('judge-report').scrollIntoViewIfNeeded();
      await screenshot(page, 'judge-report', { width: 390, height: 844 });
      expect(await overflow(page)).toBe(0);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByTestId('judge-report').screenshot({ path: 'test-output/judge-report-panel.png' });

      // Recorded with the run: after a reload the judged run opens with the same table.
      const before = await cells(page, 'score');
      await page.reload();
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('view-runs').click();
      await page.getByTestId('run-open').first().click();
      await page.getByTestId('judge-report').waitFor();
      expect(await cells(page, 'score')).toEqual(before);
      // …and the first screen's headline is the judged run's, saying whose policy was judged.
      await page.getByTestId('view-pipeline').click();
      const story = page.getByTestId('story');
      await story.getByTestId('story-judged').waitFor({ timeout: 30_000 });
      expect(await story.getByTestId('story-judged').textContent()).toMatch(
        new RegExp(
          `^\\s*An imported policy \\(.*${zip.name.replace(/\./g, '\\.')}.*\\) judged against SFT by the evaluation of “.+” — not that run’s own PPO policy\\.\\s*$`,
        ),
      );
      expect(await story.getByTestId('story-winrate').textContent()).toMatch(/^\d+%$/);
      expect(await story.getByText('The imported policy’s answer preferred to SFT’s').count()).toBe(1);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
