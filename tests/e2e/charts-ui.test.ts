import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { openApp, startPreview } from './harness';
import { TINY, axeViolations, readHandle, screenshot } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

/** The over-optimisation chart's name (its aria-label up to the colon). */
const OVEROPT = 'RM score (proxy) and labelers’ rubric score (gold) against √KL from SFT';

/**
 * Every text of every chart (tick labels, axis titles) whose box leaves its chart's box, as
 * "chart: label" strings. Each chart is scrolled into view first: its panel is skipped off screen
 * (content-visibility: auto), and the chart takes its real width only once laid out.
 */
async function clippedLabels(page: Page): Promise<{ charts: number; names: string[]; texts: number; clipped: string[] }> {
  const charts = page.locator('svg[data-testid="chart"]');
  const out = { charts: await charts.count(), names: [] as string[], texts: 0, clipped: [] as string[] };
  for (let i = 0; i < out.charts; i++) {
    const chart = charts.nth(i);
    await chart.scrollIntoViewIfNeeded();
    // two frames: the resize observer reports the laid-out width, then the chart redraws at it
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const r = await chart.evaluate((svg) => {
      const box = svg.getBoundingClientRect();
      const name = svg.getAttribute('aria-label')?.split(':')[0] ?? '?';
      const texts = [...svg.querySelectorAll('text')];
      const bad = texts.filter((t) => {
        const b = t.getBoundingClientRect();
        return b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5;
      });
      return { name, texts: texts.length, clipped: bad.map((t) => `${name}: ${t.textContent}`) };
    });
    out.names.push(r.name);
    out.texts += r.texts;
    out.clipped.push(...r.clipped);
  }
  return out;
}

/** Horizontal overflow of the page, measured with every panel scrolled into view (and so laid out) once. */
async function horizontalOverflow(page: Page): Promise<number> {
  const panels = page.locator('.panel');
  for (let i = 0; i < (await panels.count()); i++) await panels.nth(i).scrollIntoViewIfNeeded();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);
}

describe('the story diagram and the charts grouped by stage, readable on a phone', () => {
  // Forced wasm, and the engine left on auto (here: a software GPU adapter, timed against wasm per run, the tallest engine panel).
  test.each([
    ['wasm', '?backend=wasm'],
    ['auto', ''],
  ])('the first screen at 390×844 (%s engine) shows the start buttons without horizontal scrolling', async (engine, query) => {
    const app = await openApp(query);
    const { page } = app;
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.waitForFunction('!!window.__rlhf.run.engine', null, { timeout: 60_000 });
      // The first screen's two ways in: the quick path from the shipped example, and the whole pipeline from scratch.
      const start = await page.getByTestId('quick-start-button').boundingBox();
      const scratch = await page.getByTestId('quick-scratch').boundingBox();
      for (const box of [start, scratch]) {
        expect(box).not.toBeNull();
        expect(box!.x + box!.width).toBeLessThanOrEqual(390);
        expect(box!.y + box!.height).toBeLessThanOrEqual(844);
      }
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth)).toBeLessThanOrEqual(0);
      // The story comes first: every model of the pipeline, each waiting, above the start button.
      const story = page.getByTestId('story');
      expect((await story.boundingBox())!.y).toBeLessThan(start!.y);
      for (const stage of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) {
        const node = story.getByTestId(`stage-${stage}`);
        expect(await node.getAttribute('data-status')).toBe('waiting');
        const box = (await node.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(390);
        expect(box.y + box.height).toBeLessThanOrEqual(844);
      }
      expect(await story.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['Base model', 'SFT model', 'Reward model', 'PPO policy', 'Evaluation']);
      expect(await story.getByTestId('story-headline').count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      // On a phone the engine panel is one line; its details open on demand.
      const panel = page.getByTestId('engine');
      expect((await panel.boundingBox())!.height).toBeLessThan(90);
      if (engine === 'auto') {
        expect(await page.getByTestId('adapter').isVisible()).toBe(false);
        await panel.getByRole('button', { name: 'Details' }).click();
        expect(await page.getByTestId('adapter').isVisible()).toBe(true);
        expect(await axeViolations(page)).toEqual([]);
      }
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('after a short run: no tick label cut off at 360 or 1280 px, β shown as a value, one-point series as numbers, no overflow', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('settings-preset-micro').click();
      for (const group of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) await page.locator(`[data-testid="settings-group-${group}"] > summary`).click();
      // three iterations: β (no adaptive KL) is the same number at each, the other PPO metrics are curves
      for (const [key, value] of Object.entries({ ...TINY, 'ppo.iterations': '3' })) await page.getByTestId(`setting-${key}`).fill(value);
      await page.getByTestId('run-pipeline').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 20 });
      // The diagram highlights the running stage, with its progress.
      const running = await page.waitForFunction(
        () => {
          const node = document.querySelector('[data-testid="story"] [data-status="running"]');
          return node?.querySelector('[aria-current="step"] [role="progressbar"]') ? node.getAttribute('data-testid') : null;
        },
        null,
        { timeout: 120_000, polling: 20 },
      );
      expect(await running.jsonValue()).toMatch(/^stage-(pretrain|sft|rm|ppo)$/);
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 500 });
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');

      // Finished: every stage done, the headline next to the diagram says what the report says.
      const story = page.getByTestId('story');
      for (const stage of ['pretrain', 'sft', 'rm', 'ppo', 'eval']) expect(await story.getByTestId(`stage-${stage}`).getAttribute('data-status')).toBe('done');
      expect(await story.locator('[aria-current="step"]').count()).toBe(0);
      const report = await readHandle(page, (h) => h.run.report as { eval: { winrate_ppo_vs_sft: number; winrate_ci95: [number, number] } });
      const pct = (x: number) => `${Math.round(100 * x)}%`;
      expect(await story.getByTestId('story-winrate').textContent()).toBe(pct(report.eval.winrate_ppo_vs_sft));
      expect(await story.getByTestId('story-ci').textContent()).toBe(`(95% interval ${pct(report.eval.winrate_ci95[0])}–${pct(report.eval.winrate_ci95[1])})`);
      expect(await story.getByTestId('story-scores').locator('li').allTextContents()).toEqual([
        expect.stringMatching(/^base\s*\d\.\d{3}$/),
        expect.stringMatching(/^SFT\s*\d\.\d{3}$/),
        expect.stringMatching(/^PPO\s*\d\.\d{3}$/),
      ]);
      // The best sample pair, when PPO beat SFT on one of the report's samples: that prompt's two answers, as text.
      const samples = await readHandle(page, (h) => (h.run.report as { eval: { samples: { prompt: string; sft: string; ppo: string }[] } }).eval.samples);
      const pair = story.getByTestId('story-pair');
      if (await pair.count()) {
        const prompt = await pair.getByTestId('story-pair-prompt').textContent();
        const shown = samples.find((x) => x.prompt === prompt);
        expect(shown).toBeDefined();
        expect(await pair.getByTestId('story-pair-sft').textContent()).toBe(shown!.sft);
        expect(await pair.getByTestId('story-pair-policy').textContent()).toBe(shown!.ppo);
      }
      expect(await story.getByTestId('story-from').count()).toBe(0);

      // One group per stage, each saying what to look for.
      for (const stage of ['pretrain', 'sft', 'rm', 'ppo']) {
        expect(await page.getByTestId(`stage-metrics-${stage}`).locator('.look').textContent()).toMatch(/^What to look for: \S/);
      }
      expect(await page.getByTestId('stage-metrics-ppo').textContent()).toMatch(/over-optimising/);

      // β is a number, not a chart on an axis invented around it.
      const beta = page.getByTestId('chart-ppo-beta');
      expect(await beta.getAttribute('data-kind')).toBe('constant');
      expect(await beta.locator('svg').count()).toBe(0);
      expect(await beta.locator('.number').textContent()).toBe('0.02');
      expect(await page.getByTestId('chart-ppo-reward').getAttribute('data-kind')).toBe('curve');
      // Over-optimisation with PPO: the RM score and the gold score of each iteration against √KL, with what to look for.
      const overopt = page.getByTestId('chart-ppo-overoptimisation');
      expect(await overopt.locator('.chart-look').textContent()).toBe(
        'What to look for: the gold score should rise, then flatten or fall while the RM score keeps rising: over-optimisation.',
      );
      expect(await overopt.locator('svg[data-testid="chart"]').getAttribute('aria-label')).toMatch(
        /^RM score \(proxy\) .* against √KL from SFT: 3 iterations\./,
      );
      expect(await overopt.locator('svg text').allTextContents()).toEqual(
        expect.arrayContaining(['RM score (proxy)', 'rubric score (gold)', '√KL from SFT (√nats)']),
      );

      for (const size of [
        { width: 360, height: 740 },
        { width: 1280, height: 800 },
      ]) {
        await page.setViewportSize(size);
        const labels = await clippedLabels(page);
        expect(labels.charts, `charts at ${size.width} px`).toBeGreaterThanOrEqual(10);
        expect(labels.names).toContain(OVEROPT);
        expect(labels.texts).toBeGreaterThan(labels.charts * 5);
        expect(labels.clipped, `labels cut off at ${size.width} px`).toEqual([]);
        expect(await horizontalOverflow(page), `overflow at ${size.width} px`).toBeLessThanOrEqual(0);
      }
      await page.setViewportSize({ width: 360, height: 740 });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'charts', { width: 360, height: 740 });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await axeViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'light' });

      // The saved run reopened: the reward model's accuracies, measured once, are numbers.
      await page.getByTestId('view-runs').click();
      await page.waitForFunction('window.__rlhf.savedRuns.list.length === 1 && !!window.__rlhf.savedRuns.list[0].report', null, { timeout: 30_000 });
      await page.getByTestId('run-open').click();
      await page.getByTestId('opened-run').waitFor();
      for (const metric of ['heldoutAccuracy', 'trainAccuracy']) {
        const figure = page.getByTestId(`chart-rm-${metric}`);
        expect(await figure.getAttribute('data-kind')).toBe('value');
        expect(await figure.locator('.number').textContent()).toMatch(/^(0(\.\d{1,3})?|1)$/);
      }
      expect(await page.getByTestId('chart-ppo-beta').getAttribute('data-kind')).toBe('constant');
      await page.setViewportSize({ width: 360, height: 740 });
      const reopened = await clippedLabels(page);
      expect(reopened.names).toContain(OVEROPT);
      expect(reopened.clipped).toEqual([]);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);

      // Reloaded: the story is not empty, it carries the finished saved run's headline, named.
      await page.reload();
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      const from = page.getByTestId('story').getByTestId('story-from');
      await from.waitFor({ timeout: 30_000 });
      const name = await readHandle(page, (h) => h.savedRuns.list[0].name);
      expect(await from.textContent()).toBe(`from saved run “${name}”`);
      expect(await page.getByTestId('story').getByTestId('story-winrate').textContent()).toBe(pct(report.eval.winrate_ppo_vs_sft));
      expect(await axeViolations(page)).toEqual([]);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
