import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { openApp, startPreview } from './harness';
import { axeViolations, overflow, screenshot } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

describe('the user as labeler, and datasets', () => {
  test('rank by keyboard, write a demonstration, import and export JSONL (a bad file changes nothing)', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('view-label').click();
      await page.getByTestId('rank-item').first().waitFor();
      expect(await page.getByTestId('user-rank-count').textContent()).toBe('0');
      expect(await page.getByTestId('agreement').textContent()).toBe('–');

      // Keyboard: Alt+↓ moves the focused response down one place.
      const first = (await page.getByTestId('rank-item').nth(0).locator('.text').textContent())!;
      await page.getByTestId('rank-item').nth(0).focus();
      await page.keyboard.press('Alt+ArrowDown');
      expect(await page.getByTestId('rank-item').nth(1).locator('.text').textContent()).toBe(first);
      await page.getByTestId('submit-ranking').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-rank-count"]')?.textContent === '1');
      await page.waitForFunction(() => document.querySelector('[data-testid="agreement"]')?.textContent !== '–', null, { timeout: 20_000 });
      expect(await page.getByTestId('agreement').textContent()).toMatch(/^\d+% of \d+ pairs$/);
      expect(await page.getByTestId('count-rankings').textContent()).toBe('1');

      // Drag: the last response onto the first place. The drop reaches the page after dragTo returns (the
      // browser ends a drag on its own time), so the new order is awaited, not read at once.
      const items = page.getByTestId('rank-item');
      const last = (await items.last().locator('.text').textContent())!;
      await items.last().dragTo(items.first());
      await expect.poll(() => items.first().locator('.text').textContent(), { timeout: 10_000 }).toBe(last);
      await page.getByTestId('submit-ranking').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-rank-count"]')?.textContent === '2');

      // A demonstration.
      await page.getByTestId('mode-write').click();
      await page.getByTestId('demo-input').fill('a demonstration written by hand');
      await page.getByTestId('submit-demo').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-demo-count"]')?.textContent === '1');

      // A bad file names the line and the field, and nothing changes.
      const bad = '{"prompt":"a","completion":"b"}\n{"prompt":"c","completion":3}\n';
      await page.getByTestId('import-file').setInputFiles({ name: 'bad.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(bad) });
      await page.getByTestId('import-errors').waitFor();
      expect(await page.getByTestId('import-errors').textContent()).toContain('line 2, field "completion": must be a string, got a number');
      expect(await page.getByTestId('import-status').textContent()).toContain('your data is unchanged');
      expect(await page.getByTestId('count-demonstrations').textContent()).toBe('1');

      // Pairwise preferences come in as K = 2 rankings.
      const prefs = '{"prompt":"p1","chosen":"good","rejected":"bad"}\r\n{"prompt":"p2","chosen":"yes","rejected":"no"}\r\n';
      await page.getByTestId('import-file').setInputFiles({ name: 'prefs.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from('\ufeff' + prefs) });
      await page.waitForFunction(() => document.querySelector('[data-testid="count-rankings"]')?.textContent === '4');
      expect(await page.getByTestId('import-status').textContent()).toMatch(/Imported 2 pairwise preferences.*K = 2/);

      // TRL's conversational unpaired rows (issue #20): the label true row is a demonstration, the label false row is left out, and the page says why.
      const msg = (role: string, content: string) => ({ role, content });
      const kto = [
        { prompt: [msg('system', 'Be brief.'), msg('user', 'Sky?')], completion: [msg('assistant', 'Blue.')], label: true },
        { prompt: [msg('user', 'Sky?')], completion: [msg('assistant', 'Green.')], label: false },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n');
      await page.getByTestId('import-file').setInputFiles({ name: 'kto.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(kto) });
      await page.waitForFunction(() => document.querySelector('[data-testid="count-demonstrations"]')?.textContent === '2');
      expect(await page.getByTestId('import-status').textContent()).toMatch(/Imported 1 demonstrations from kto\.jsonl \(TRL conversational rows/);
      const notes = await page.getByTestId('import-notes').textContent();
      expect(notes).toMatch(/1 row with "label": false was left out \(line 2\)/);
      expect(notes).toMatch(/1 system turn was left out/);

      // Export: the rankings file is valid JSONL in the ranking format.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Rankings (.jsonl)' }).click()]);
      const path = await download.path();
      const text = (await import('node:fs')).readFileSync(path!, 'utf8');
      const rows = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { prompt: string; ranking: string[] });
      expect(rows).toHaveLength(4);
      expect(rows[2]).toEqual({ prompt: 'p1', ranking: ['good', 'bad'] });

      await page.getByTestId('mode-rank').click();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'labeling', { width: 1280, height: 800 });
      await screenshot(page, 'labeling', { width: 390, height: 844 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('a full disk is said plainly and nothing is counted', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('view-label').click();
      await page.getByTestId('rank-item').first().waitFor();
      // The database is set up (a fresh profile's first open writes) before the disk "fills".
      await page.waitForFunction('window.__rlhf.storage.status !== null', null, { timeout: 60_000 });
      // Simulate a full disk: every IndexedDB write fails with QuotaExceededError from now on.
      await page.evaluate(() => {
        const fail = () => {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        };
        IDBObjectStore.prototype.add = fail;
        IDBObjectStore.prototype.put = fail;
      });
      await page.getByTestId('submit-ranking').click();
      await page.getByTestId('storage-error').waitFor();
      expect(await page.getByTestId('storage-error').textContent()).toMatch(/The disk is full: your label could not be saved/);
      expect(await page.getByTestId('user-rank-count').textContent()).toBe('0');
      expect(await page.getByTestId('label-status').textContent()).toMatch(/^Not saved/);
    } finally {
      await app.close();
    }
  });
});
