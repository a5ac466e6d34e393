import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openApp, startPreview } from './harness';
import { axeViolations, overflow } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

/** The runner's report of the γ_ptx test sweep (0.01 and 0 over seeds 101–103). */
const STORED = 'docs/runs/2026-12-05-test/test-instructions.json';
const jsonFile = (name: string, text: string) => ({ name, mimeType: 'application/json', buffer: Buffer.from(text) });

/** Per plot: its curves (paths), and every text whose box is not inside the SVG's box (a clipped label). */
async function inspectPlot(page: Page, id: string) {
  const figure = page.getByTestId(`plot-${id}`);
  await figure.scrollIntoViewIfNeeded(); // panels off screen are not laid out (content-visibility: auto)
  return figure.evaluate((f) => {
    const svg = f.querySelector('svg')!;
    const box = svg.getBoundingClientRect();
    const clipped = [...svg.querySelectorAll('text')]
      .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }))
      .filter(({ r }) => r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
      .map(({ text, r }) => `${text} [${Math.round(r.left)}, ${Math.round(r.right)}] in [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    return {
      namespace: svg.namespaceURI,
      curves: svg.querySelectorAll('path.curve').length,
      texts: svg.querySelectorAll('text').length,
      width: box.width,
      clipped,
    };
  });
}

describe('sweep plots in the app', () => {
  test('a stored sweep report opens through the picker: three plots, no label clipped, downloads; a malformed file is refused with why', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('view-sweep').click();
      const picker = page.getByTestId('sweep-file');
      const error = page.getByTestId('sweep-file-error');

      // Not JSON, one run's report, a report with a wrong field: each refused, saying why.
      await picker.setInputFiles(jsonFile('broken.json', '{"kind": "sweep", "key": '));
      await expect.poll(() => error.textContent()).toMatch(/^broken\.json: The file is not valid JSON/);
      await picker.setInputFiles('docs/runs/2026-12-05-dev/sen-s11-pre600.json');
      await expect.poll(() => error.textContent()).toContain("sen-s11-pre600.json: Not a sweep report the plots can read: this is one run's report");
      const wrong = JSON.parse(readFileSync(STORED, 'utf8'));
      wrong.points[0].reports[1].stages.ppo.log = 'none';
      await picker.setInputFiles(jsonFile('wrong.json', JSON.stringify(wrong)));
      await expect.poll(() => error.textContent()).toContain('points[0].reports[1].stages.ppo.log should be a list (PPO\'s log), but is the text "none"');
      expect(await page.getByTestId('sweep-plots').count()).toBe(0);

      await picker.setInputFiles(STORED);
      await page.getByTestId('plot-tax').waitFor();
      expect(await error.count()).toBe(0); // a good file clears the last problem
      expect(await page.getByTestId('sweep-shown').textContent()).toContain('test-instructions.json: ppo.ptxCoef over 0.01, 0');

      // proxy and gold × two values; win rate, labeler score (SFT is a dashed line with its value), KL; the tax
      const expected: Record<string, number> = { overoptimisation: 4, knob: 3, tax: 1 };
      for (const [id, curves] of Object.entries(expected)) {
        for (const width of [1280, 700]) {
          await page.setViewportSize({ width, height: 800 });
          const plot = await inspectPlot(page, id);
          expect(plot.namespace).toBe('http://www.w3.org/2000/svg');
          expect(plot.curves, id).toBe(curves);
          expect(plot.texts).toBeGreaterThan(10);
          expect(plot.clipped, `${id} at ${width} px`).toEqual([]);
        }
      }
      await page.setViewportSize({ width: 1280, height: 800 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);

      // Downloads: the SVG the page shows, the CSV and JSON of its data.
      const save = async (id: string, ext: string) => {
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`plot-${id}-${ext}`).click()]);
        return { name: download.suggestedFilename(), text: readFileSync((await download.path())!, 'utf8') };
      };
      const svg = await save('overoptimisation', 'svg');
      expect(svg.name).toBe('test-instructions-overoptimisation.svg');
      expect(svg.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.text.match(/<path class="curve"/g)).toHaveLength(4);
      const csv = await save('knob', 'csv');
      expect(csv.name).toBe('test-instructions-knob.csv');
      expect(csv.text.trimEnd().split('\r\n')).toHaveLength(1 + 2 * 4);
      const json = await save('tax', 'json');
      expect(json.name).toBe('test-instructions-tax.json');
      expect(JSON.parse(json.text).rows).toHaveLength(2 * 3);

      // A malformed file after a good one: refused, and the plots shown stay.
      await picker.setInputFiles(jsonFile('later.json', '{"kind": "run"}'));
      await expect.poll(() => error.textContent()).toContain('later.json: Not a sweep report the plots can read: this is not a sweep report');
      expect(await page.getByTestId('plot-knob').count()).toBe(1);

      // A file's strings are text on the page, never markup.
      const hostile = JSON.parse(readFileSync(STORED, 'utf8'));
      hostile.task = '<img src=x onerror="window.__pwned=1">';
      await picker.setInputFiles(jsonFile('hostile.json', JSON.stringify(hostile)));
      await expect.poll(() => page.getByTestId('plot-knob').locator('text').filter({ hasText: '<img src=x' }).count()).toBeGreaterThan(0);
      expect(await page.locator('[data-testid="sweep-panel"] img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
