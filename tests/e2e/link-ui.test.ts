import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { deflateSync } from 'fflate';
import { base64urlEncode } from '../../src/share/base64url';
import { decodeLink } from '../../src/share/link';
import { linkSchema } from '../../src/state/configKeys';
import { DEFAULT_PIPELINE, DEFAULTS_GENERATION } from '../../src/rlhf/config';
import { openApp, startPreview } from './harness';
import { axeViolations, readHandle } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

const packRaw = (payload: unknown) => '#r1.' + base64urlEncode(deflateSync(new TextEncoder().encode(JSON.stringify(payload)), { level: 9 }));
/** A link as this app writes it: against the current defaults generation. */
const pack = (payload: object) => packRaw({ d: DEFAULTS_GENERATION, ...payload });

describe('share links', () => {
  test('a valid link shows its setup and waits for Start; the copy button confirms', async () => {
    const app = await openApp('?backend=wasm' + pack({ v: 1, preset: 'micro', seed: 7, config: { 'ppo.beta': 0.1, 'sft.steps': 12 } }));
    const { page } = app;
    try {
      await page.getByTestId('link-setup').waitFor();
      expect(await page.getByTestId('link-setup').textContent()).toMatch(
        /changes 4 settings: preset, seed, sft\.steps, ppo\.beta.*Nothing runs until you press Start/,
      );
      expect(await page.getByTestId('setting-seed').inputValue()).toBe('7');
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(500);
      expect(await readHandle(page, (h) => h.run.state)).toBe('idle');
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.getByTestId('copy-link').click();
      await page.getByText('Link copied to the clipboard.').waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(new URL(copied).hash).toBe(new URL(page.url()).hash);
      // A link pasted into the same tab's address bar is read too (no reload).
      await page.evaluate((h) => (location.hash = h), pack({ v: 1, seed: 9 }));
      await page.waitForFunction(() => (document.querySelector('[data-testid="setting-seed"]') as HTMLInputElement).value === '9');
      expect(await readHandle(page, (h) => (h.pipelineConfig.ppo as { beta: number }).beta)).toBe(DEFAULT_PIPELINE.ppo.beta);
      // A link written before the defaults changed (no "d": generation 1) opens its sender's setup:
      // generation 1 pretrained 600 steps and penalised KL with k3.
      await page.evaluate((h) => (location.hash = h), packRaw({ v: 1, seed: 11 }));
      await page.waitForFunction(() => (document.querySelector('[data-testid="setting-seed"]') as HTMLInputElement).value === '11');
      expect(await readHandle(page, (h) => (h.pipelineConfig.pretrain as { steps: number }).steps)).toBe(600);
      expect(await readHandle(page, (h) => (h.pipelineConfig.ppo as { klEstimator: string }).klEstimator)).toBe('k3');
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('clipboard refused: the link is shown in a field to copy by hand', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.evaluate(() => {
        Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) } });
      });
      await page.getByTestId('setting-seed').fill('42');
      await page.getByTestId('copy-link').click();
      await page.getByTestId('share-link-field').waitFor();
      expect(new URL(await page.getByTestId('share-link-field').inputValue()).hash).toMatch(/^#r1\./);
    } finally {
      await app.close();
    }
  });

  const bad: [string, string, RegExp][] = [
    ['garbled', '#r1.%%%not-base64%%%', /damaged/],
    ['truncated', pack({ v: 1, seed: 5, config: { 'ppo.beta': 0.3 } }).slice(0, 14), /damaged|cut off/],
    ['future version', '#r9.abcdef', /newer version of the app/],
    ['not a setup', '#hello', /does not contain a run setup/],
  ];
  for (const [what, hash, message] of bad) {
    test(`a ${what} link opens the app with a message and the defaults`, async () => {
      const app = await openApp('?backend=wasm' + hash);
      const { page } = app;
      try {
        await page.getByTestId('link-error').waitFor();
        expect(await page.getByTestId('link-error').textContent()).toMatch(message);
        expect(await page.getByTestId('setting-seed').inputValue()).toBe('1');
        expect(await page.getByTestId('run-pipeline').count()).toBe(1);
        if (what === 'garbled') expect(await axeViolations(page)).toEqual([]);
        expect(app.consoleErrors).toEqual([]);
      } finally {
        await app.close();
      }
    });
  }

  test('out-of-range and unknown values fall back to defaults with a warning naming them', async () => {
    const app = await openApp('?backend=wasm' + pack({ v: 1, config: { 'ppo.beta': 50, 'sft.steps': 20, 'nope.x': 1 } }));
    const { page } = app;
    try {
      await page.getByTestId('link-warnings').waitFor();
      const text = await page.getByTestId('link-warnings').textContent();
      expect(text).toContain('"ppo.beta" must be a number from 0 to 2; got 50');
      expect(text).toContain('Ignored unknown setting "nope.x"');
      expect(await readHandle(page, (h) => (h.pipelineConfig.ppo as { beta: number }).beta)).toBe(DEFAULT_PIPELINE.ppo.beta);
      expect(await readHandle(page, (h) => (h.pipelineConfig.sft as { steps: number }).steps)).toBe(20);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  const DATASET = {
    demonstrations: [
      { prompt: 'reverse: abc\n', completion: 'cba' },
      { prompt: 'upper: <b>ab</b>\n', completion: '<B>AB</B>' },
    ],
    rankings: [{ prompt: 'sort: cab\n', ranking: ['abc', 'acb', 'cab', 'x'] }],
    mode: 'mix',
  };
  const decoded = (url: string) => decodeLink(new URL(url).hash, linkSchema());

  test('a link with a small dataset shows its counts, saves it only on Start (no duplicates), and the share link carries it', async () => {
    const link = pack({ v: 1, preset: 'micro', seed: 7, config: { 'rm.k': 4 }, dataset: DATASET });
    const app = await openApp('?backend=wasm' + link);
    const { page } = app;
    try {
      await page.getByTestId('link-dataset').waitFor();
      expect(await page.getByTestId('link-dataset-counts').textContent()).toBe('2 demonstrations and 1 ranking');
      expect(await page.getByTestId('link-dataset').textContent()).toMatch(/for the instructions task.*Nothing is saved until then/s);
      // Rows are shown as text: the HTML in a prompt is not markup.
      await page.getByText('Show the rows').click();
      expect(await page.getByTestId('link-dataset').locator('b').count()).toBe(0);
      expect(await page.getByTestId('link-dataset').textContent()).toContain('upper: <b>ab</b>');
      // While the offer waits, the address bar keeps the dataset (a reload would show it again).
      const inBar = decoded(page.url());
      expect(inBar.ok && inBar.setup.dataset).toEqual(DATASET);
      expect(await axeViolations(page)).toEqual([]);

      // Nothing was saved yet.
      await page.getByTestId('view-label').click();
      await page.getByTestId('datasets').waitFor();
      expect(await page.getByTestId('count-demonstrations').textContent()).toBe('0');
      expect(await page.getByTestId('count-rankings').textContent()).toBe('0');
      await page.getByTestId('view-pipeline').click();

      // Start = yes: the rows are added, and the run trains with them (then we stop it).
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('run-pipeline').click();
      await page.getByTestId('user-labels-used').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('user-labels-used').textContent()).toMatch(
        /2 of your demonstrations and 1 of your rankings, mixed with the simulated labelers/,
      );
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 50 });
      await page.getByTestId('stop-pipeline').click();
      // Stopping waits for the step in flight: under heavy load that took over 60 s on wasm.
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 240_000, polling: 100 });
      expect(await page.getByTestId('link-dataset-message').textContent()).toMatch(
        /Added 2 demonstrations and 1 ranking from the link to your instructions datasets\. Nothing was replaced\./,
      );
      expect(await page.getByTestId('link-dataset').count()).toBe(0);
      expect(decoded(page.url()).ok && (decoded(page.url()) as { setup: { dataset?: unknown } }).setup.dataset).toBeUndefined();

      // The share link now carries the user's dataset (the one the run used).
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.getByTestId('copy-link').click();
      await page.getByText(/Link copied to the clipboard\. It includes your 2 demonstrations and 1 ranking\./).waitFor();
      const shared = decoded(await page.evaluate(() => navigator.clipboard.readText()));
      expect(shared.ok && shared.setup.dataset).toEqual(DATASET);
      expect(shared.ok && shared.setup.seed).toBe(7);

      // The same link again: accepting adds nothing twice.
      await page.evaluate((h) => (location.hash = h), link);
      await page.getByTestId('link-dataset').waitFor();
      await page.getByTestId('link-dataset-accept').click();
      await page.getByText(/Added 0 demonstrations and 0 rankings .*\(3 you already had were skipped\)/).waitFor();
      await page.getByTestId('view-label').click();
      expect(await page.getByTestId('count-demonstrations').textContent()).toBe('2');
      expect(await page.getByTestId('count-rankings').textContent()).toBe('1');
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('a dataset too large for a link: the link holds the settings only, the page says so and offers the JSONL export', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      let s = 7;
      const word = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s.toString(36));
      const rows = Array.from({ length: 500 }, () => JSON.stringify({ prompt: `reverse: ${word()}\n`, completion: word() + word() })).join('\n');
      await page.getByTestId('view-label').click();
      await page.getByTestId('import-file').setInputFiles({ name: 'many.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(rows) });
      await page.getByText('Imported 500 demonstrations from many.jsonl.').waitFor();
      await page.getByTestId('view-pipeline').click();
      await page.getByTestId('user-labels-mix').check();
      await page.getByTestId('setting-seed').fill('3');
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.getByTestId('copy-link').click();
      await page.getByTestId('share-too-large').waitFor();
      expect(await page.getByTestId('copy-status').textContent()).toBe('Link copied to the clipboard. It holds the settings only.');
      expect(await page.getByTestId('share-too-large').textContent()).toMatch(
        /Your 500 demonstrations and 0 rankings would make the link \d+ characters long, more than the 8,000 a link may have\..*Export dataset \(JSONL\)/,
      );
      const copied = decoded(await page.evaluate(() => navigator.clipboard.readText()));
      expect(copied.ok && copied.setup.seed).toBe(3);
      expect(copied.ok && copied.setup.dataset).toBeUndefined();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('share-too-large').getByTestId('export-demonstrations').click()]);
      expect(download.suggestedFilename()).toBe('instructions-demonstrations.jsonl');
      expect(await axeViolations(page)).toEqual([]);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
