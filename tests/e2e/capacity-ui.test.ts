import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { deflateSync } from 'fflate';
import { base64urlEncode } from '../../src/share/base64url';
import { DEFAULTS_GENERATION } from '../../src/rlhf/config';
import { getTask } from '../../src/tasks';
import { openApp, startPreview } from './harness';

let server: ChildProcess;
beforeAll(async () => {
  server = await startPreview();
});
afterAll(() => {
  server?.kill();
});

const pack = (payload: object) =>
  '#r1.' + base64urlEncode(deflateSync(new TextEncoder().encode(JSON.stringify({ d: DEFAULTS_GENERATION, ...payload })), { level: 9 }));

test('a setup that needs more prompts than its task has: the fields say so, Run stays off until it fits', async () => {
  // sentiment with 9 000 ranked prompts and 4 000 demonstrations: more than the task's openings
  const app = await openApp('?backend=wasm' + pack({ v: 1, task: 'sentiment', config: { 'rm.trainPrompts': 9000, 'sft.demonstrations': 4000 } }));
  const { page } = app;
  try {
    await page.getByTestId('engine').waitFor({ timeout: 60_000 });
    const reason = page.getByTestId('run-reason');
    await expect.poll(() => reason.textContent()).toMatch(new RegExp(`sentiment task has ${getTask('sentiment').promptCapacity}`));
    expect(await page.getByTestId('run-pipeline').isDisabled()).toBe(true);
    // the problem shows at each setting that asks for prompts
    expect(await page.getByTestId('setup-problem').count()).toBeGreaterThanOrEqual(4);
    // bring it back within the capacity: the message goes, Run comes back
    await page.evaluate(() => {
      const h = (window as unknown as { __rlhf: { pipelineConfig: { rm: { trainPrompts: number } } } }).__rlhf;
      h.pipelineConfig.rm.trainPrompts = 1000;
    });
    await expect.poll(() => page.getByTestId('setup-problem').count()).toBe(0);
    expect(await page.getByTestId('run-pipeline').isDisabled()).toBe(false);
    expect(app.consoleErrors).toEqual([]);
  } finally {
    await app.close();
  }
});
