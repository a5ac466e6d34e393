import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { deflateSync } from 'fflate';
import { base64urlEncode } from '../../src/share/link';
import { openApp, startPreview } from './harness';
import { axeViolations, readHandle } from './ui-helpers';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

const pack = (payload: unknown) => '#r1.' + base64urlEncode(deflateSync(new TextEncoder().encode(JSON.stringify(payload)), { level: 9 }));

describe('share links', () => {
  test('a valid link shows its setup and waits for Start; the copy button confirms', async () => {
    const app = await openApp('?backend=wasm' + pack({ v: 1, preset: 'micro', seed: 7, config: { 'ppo.beta': 0.1, 'sft.steps': 12 } }));
    const { page } = app;
    try {
      await page.getByTestId('link-setup').waitFor();
      expect(await page.getByTestId('link-setup').textContent()).toMatch(/changes 4 settings: preset, seed, sft\.steps, ppo\.beta.*Nothing runs until you press Start/);
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
      expect(await readHandle(page, (h) => (h.pipelineConfig.ppo as { beta: number }).beta)).toBe(0.02);
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
      expect(await readHandle(page, (h) => (h.pipelineConfig.ppo as { beta: number }).beta)).toBe(0.02);
      expect(await readHandle(page, (h) => (h.pipelineConfig.sft as { steps: number }).steps)).toBe(20);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
