import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { openApp, startPreview } from './harness';
import { axeViolations, overflow, readHandle } from './ui-helpers';

/**
 * "See RLHF in ~2 minutes" on the built app: a run from the shipped example (public/example/) whose
 * pretraining and SFT come from the example and whose reward model and PPO-ptx train here, and which says so.
 * The run is made lighter through the page's handle (a 10-step RM on 80 ranking sets, 2 PPO iterations of
 * 16 rollouts): settings of the RM stage and later, which the example's checkpoint allows.
 */
let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

const manifest = JSON.parse(readFileSync('public/example/manifest.json', 'utf8')) as { seed: number; file: string };
const LIGHT = { 'rm.steps': 10, 'rm.trainPrompts': 80, 'ppo.iterations': 2, 'ppo.rolloutBatch': 16, 'ppo.probeEvery': 1, 'eval.pretrainWindows': 16 };

interface SavedQuickRun {
  imported: { source: string; skipped: string[] };
  stageStatus: Record<string, string>;
  config: { seed: number; rm: { steps: number } };
  report: { stages: { pretrain: { steps: number }; sft: { steps: number }; rm: { steps: number }; ppo: { iterations: number } } };
}

describe('the quick path from the shipped example', () => {
  test('a damaged zip is refused next to the button; the example starts a run that trains only the RM and PPO here, and says so', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      await page.getByTestId('engine').waitFor({ timeout: 60_000 });
      await page.getByTestId('quick-about').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('quick-about').textContent()).toMatch(new RegExp(`seed ${manifest.seed}\\): a base model pretrained \\d+ steps`));
      expect(await page.getByTestId('quick-measured').textContent()).toMatch(/PPO preferred to SFT on \d+% \(95% interval \d+%–\d+%\)/);
      await page.setViewportSize({ width: 360, height: 800 });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 800 });

      // One flipped byte: the SHA-256 no longer matches the manifest, and nothing is saved.
      await page.route(`**/example/${manifest.file}`, async (route) => {
        const body = Buffer.from(await (await route.fetch()).body());
        body[body.length >> 1] ^= 0x01;
        await route.fulfill({ body, contentType: 'application/zip' });
      });
      await page.getByTestId('quick-start-button').click();
      await page.getByText(/does not match the SHA-256 in its manifest .*`npm run example` rebuilds both\./).waitFor({ timeout: 30_000 });
      expect(await readHandle(page, (h) => h.savedRuns.list.length)).toBe(0);
      await page.unroute(`**/example/${manifest.file}`);

      await page.evaluate((light) => {
        const h = (window as unknown as { __rlhfExample: { exampleTest: { overrides: Record<string, number> } } }).__rlhfExample;
        Object.assign(h.exampleTest.overrides, light);
      }, LIGHT);
      await page.getByTestId('quick-start-button').click();
      await page.waitForFunction('window.__rlhf.run.state === "training"', null, { timeout: 60_000, polling: 100 });
      expect(await page.getByTestId('quick-error').textContent()).toBe('');
      const provenance = page.getByTestId('quick-provenance');
      await provenance.waitFor();
      expect(await provenance.textContent()).toMatch(
        /From the shipped example, not trained here:\s*pretraining and SFT \(the base and SFT models\)\.\s*Trained here:\s*the reward model and PPO-ptx/,
      );
      // A first run here: the whole pipeline's ETA is timed against the run that made the example.
      const eta = await page.waitForFunction(() => document.querySelector('[data-testid="story-eta"]')?.textContent ?? null, null, {
        timeout: 300_000,
        polling: 100,
      });
      expect(await eta.jsonValue()).toMatch(
        /^\s*All stages: about \d+ (s|min) left \(timed against the run that made the shipped example, at this run’s pace\)\s*$/,
      );
      await page.waitForFunction('window.__rlhf.run.state !== "training"', null, { timeout: 360_000, polling: 1000 });
      expect(await readHandle(page, (h) => h.run.state)).toBe('done');
      const result = page.getByTestId('quick-result');
      await result.waitFor();
      expect(await result.textContent()).toMatch(
        /^PPO preferred to SFT on \d+%.* Trained here in \d+ s: the reward model \(10 steps, .*PPO-ptx \(2 iterations/,
      );

      const stageNotes = await readHandle(page, (h) =>
        (h.run as unknown as { stages: { stage: string; message?: string }[] }).stages.filter((s) => s.stage === 'sft').map((s) => s.message),
      );
      expect(stageNotes.join(' ')).toMatch(/skipped: started from the imported model the shipped example example-sft\.zip/);
      await page.waitForFunction('!!window.__rlhf.savedRuns.list[0]?.report', null, { timeout: 30_000 });
      const saved = await readHandle(page, (h) => JSON.parse(JSON.stringify(h.savedRuns.list[0])) as unknown);
      const s = saved as SavedQuickRun;
      expect(s.imported.skipped).toEqual(['pretrain', 'sft']);
      expect(s.imported.source).toMatch(/^the shipped example example-sft\.zip \(made by npm run example: instructions · tiny · seed \d+/);
      expect(s.stageStatus).toEqual({ pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' });
      expect(s.config.seed).toBe(manifest.seed);
      const st = s.report.stages;
      expect([st.pretrain.steps, st.sft.steps, st.rm.steps, st.ppo.iterations]).toEqual([0, 0, 10, 2]);
      await page.getByTestId('view-runs').click();
      expect(await page.getByTestId('run-imported').first().textContent()).toMatch(
        /^Started from the imported model the shipped example .*pretraining and SFT were skipped\.$/,
      );
      expect(await axeViolations(page)).toEqual([]);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 480_000);
});
