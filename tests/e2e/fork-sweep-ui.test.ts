import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openApp, startPreview } from './harness';
import { TINY, axeViolations } from './ui-helpers';

/** Re-running a saved run from a stage, and a sweep that survives a reload, through the UI (#18). */
let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

/** What the tests read from the page's handle (window.__rlhf). */
interface Handle {
  run: { state: string; stages: { stage: string; state: string }[] };
  savedRuns: { list: { name: string; forkedFrom?: { runName: string; stage: string }; report?: { config: { ppo: { beta: number } } } }[] };
  sweepState: { record: { reports: Record<string, unknown> } | null; report: { complete: boolean; stage_runs: number; seeds: number[] } | null };
}
const read = <T>(page: Page, fn: (h: Handle) => T): Promise<T> => page.evaluate(`(${fn.toString()})(window.__rlhf)`) as Promise<T>;

/** The micro model with tiny step counts, typed into the settings. */
async function microSettings(page: Page): Promise<void> {
  await page.getByTestId('engine').waitFor({ timeout: 60_000 });
  await page.getByTestId('settings-preset-micro').click();
  for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
  for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
}

const finished = (page: Page) => page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 300_000, polling: 500 });

describe('experiments through the UI', () => {
  test('a saved run re-run from PPO: earlier settings read-only, only PPO and the evaluation run, the new run says where it came from, so does its link', async () => {
    const app = await openApp('?backend=wasm');
    const { page, context } = app;
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.url).origin });
      await microSettings(page);
      await page.getByTestId('run-pipeline').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 20 });
      await finished(page);
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const source = await read(page, (h) => h.savedRuns.list[0].name);

      await page.getByTestId('view-runs').click();
      expect(await page.getByTestId('run-fork-stage').locator('option').allTextContents()).toEqual(['SFT', 'the reward model', 'PPO', 'the evaluation']);
      await page.getByTestId('run-fork-stage').selectOption('ppo');
      await page.getByTestId('run-fork').click();
      await page.getByTestId('fork-setup').waitFor();
      expect(await page.getByTestId('fork-setup').textContent()).toMatch(/from PPO: Start runs PPO and the evaluation/);
      expect(await page.getByTestId('setting-pretrain.steps').isDisabled()).toBe(true);
      expect(await page.getByTestId('setting-rm.lr').isDisabled()).toBe(true);
      expect(await page.getByTestId('settings-locked-rm').textContent()).toMatch(/changing these means starting earlier/);
      expect(await page.getByTestId('setting-ppo.beta').isDisabled()).toBe(false);
      expect(await axeViolations(page)).toEqual([]);

      // The share link: the full settings, and where the run was forked from; opened elsewhere it says it runs from scratch.
      await page.getByTestId('setting-ppo.beta').fill('0.05');
      await page.getByTestId('copy-link').click();
      await page.getByTestId('copy-status').filter({ hasText: 'copied' }).waitFor();
      const link = await page.evaluate(() => navigator.clipboard.readText());
      const other = await context.newPage();
      await other.goto(link);
      await other.getByTestId('link-setup').waitFor({ timeout: 60_000 });
      expect(await other.getByTestId('link-setup').textContent()).toMatch(/re-running their saved run .* from PPO\. A link carries no\s+checkpoints/);
      expect(await other.evaluate('window.__rlhf.pipelineConfig.ppo.beta')).toBe(0.05);
      await other.close();

      await page.getByTestId('run-pipeline').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 20 });
      await finished(page);
      expect(await read(page, (h) => h.run.state)).toBe('done');
      // Only PPO and the evaluation ran; the stages before are listed once each, done from the checkpoint.
      const stages = await read(page, (h) => h.run.stages.map((s) => `${s.stage} ${s.state}`));
      expect(stages).toEqual(['pretrain done', 'sft done', 'rm done', 'ppo running', 'ppo done', 'eval running', 'eval done']);
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const fork = await read(page, (h) => h.savedRuns.list[0]);
      expect(fork.forkedFrom).toMatchObject({ runName: source, stage: 'ppo' });
      expect(fork.report?.config.ppo.beta).toBe(0.05);
      await page.getByTestId('view-runs').click();
      expect(await page.getByTestId('run-forked').first().textContent()).toBe(`Forked from “${source}” at PPO: the stages before it are that run’s.`);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('a sweep reloaded after its first setup resumes there, finishes with the stage runs it says, and the Sweep plots view draws it', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await microSettings(page);
      await page.locator('[data-testid="sweep"] > summary').click();
      await page.getByTestId('sweep-values').fill('0.02, 0.1');
      await page.getByTestId('sweep-seeds').fill('1');
      expect(await page.getByTestId('sweep-plan').textContent()).toMatch(/2 setups: 5 stage runs instead of 8 from scratch/);
      await page.getByTestId('sweep-start').click();
      await page.waitForFunction('Object.keys(window.__rlhf.sweepState.record?.reports ?? {}).length >= 1', null, { timeout: 300_000, polling: 100 });
      expect(await page.getByTestId('sweep-points').textContent()).toMatch(/^1 of 2 setups done · /);

      await page.reload();
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('sweep-resume').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('sweep-progress').textContent()).toMatch(/1 of 2 setups done.*stopped before it finished/s);
      expect(await axeViolations(page)).toEqual([]);
      await page.getByTestId('sweep-resume').click();
      await page.waitForFunction('window.__rlhf.sweepState.report?.complete === true', null, { timeout: 300_000, polling: 500 });
      const report = await read(page, (h) => h.sweepState.report!);
      expect(report.seeds).toEqual([1]);
      expect(report.stage_runs).toBe(8); // the first setup's 4, then the second value from scratch after the reload
      expect(await page.getByTestId('sweep-summary').textContent()).toMatch(/^Finished in .*: 8 stage runs instead of 8/);

      // The Sweep plots view draws this sweep (no file opened): three plots over its two values of β.
      await page.getByTestId('view-sweep').click();
      expect(await page.getByTestId('sweep-shown').textContent()).toMatch(
        /^\s*Showing the sweep in this page: ppo\.beta over 0\.02, 0\.1; instructions, micro, seeds\s+1\.\s*$/,
      );
      // proxy and gold per value; win rate, labeler score (SFT's, dashed) and KL against β; the tax against β
      for (const [id, curves] of Object.entries({ overoptimisation: 4, knob: 3, tax: 1 })) {
        const figure = page.getByTestId(`plot-${id}`);
        await figure.scrollIntoViewIfNeeded(); // panels off screen are not laid out (content-visibility: auto)
        const drawn = await figure.evaluate((f) => ({
          curves: f.querySelectorAll('svg path.curve').length,
          texts: [...f.querySelectorAll('svg text')].map((t) => t.textContent ?? ''),
        }));
        expect(drawn.curves, id).toBe(curves);
        // each value named: in the legend (one curve per value) or as a tick of the β axis ("0.10")
        for (const v of ['0.02', '0.1'])
          expect(
            drawn.texts.some((t) => Number(t) === Number(v) || t.endsWith(`= ${v}`)),
            `${id}: ${v} in ${JSON.stringify(drawn.texts)}`,
          ).toBe(true);
      }
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('plot-knob-json').click()]);
      expect(download.suggestedFilename()).toBe('sweep-instructions-micro-ppo.beta-knob.json');
      const data = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { sweep: { values: string[]; seeds: number[] }; rows: unknown[] };
      expect(data.sweep).toMatchObject({ values: ['0.02', '0.1'], seeds: [1], complete: true });
      expect(data.rows.length).toBeGreaterThan(0);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
