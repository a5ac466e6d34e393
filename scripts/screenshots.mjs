#!/usr/bin/env node
// The README's screenshots: builds the app, serves it, runs the "Quick look" preset in headless
// Chromium and writes PNGs of the page at 1280×800 and 390×844 to docs/screenshots/: the first load,
// the middle of a run and the finished run.
//
//   npm run screenshots -- [--backend auto|webgpu|wasm|cpu] [--out DIR]
//
// Panels off screen are not rendered (content-visibility: auto), so every picture is the viewport
// with its panel scrolled into view, never a full-page capture. SCREENSHOTS_PORT moves the server
// off 4177.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './chromium.mjs';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];
/** Each state's pictures: a name and the panel scrolled to the top (null: the top of the page). */
const SHOTS = {
  'first-load': [['first-load', null]],
  // the diagram at the top of the picture, the running stage's progress in view at both sizes
  'mid-run': [['mid-run', '[data-testid="story"]']],
  finished: [
    ['finished', '[data-testid="story"]'],
    ['finished-report', '[data-testid="report"]'],
    ['finished-ppo-charts', '[data-testid="stage-metrics-ppo"]'],
  ],
};

const args = parseArgs(process.argv.slice(2));
const backend = args.backend ?? 'auto';
if (!['auto', 'webgpu', 'wasm', 'cpu'].includes(backend)) throw new Error('--backend must be auto, webgpu, wasm or cpu');
const outDir = args.out ?? 'docs/screenshots';
const port = Number(process.env.SCREENSHOTS_PORT ?? 4177);
const vite = 'node_modules/vite/bin/vite.js';

// The build goes to a directory of its own: a dist/ that tests or the runner are serving is left alone.
const build = mkdtempSync(join(tmpdir(), 'rlhf-screenshots-'));
let server;
let browser;
async function cleanup() {
  await browser?.close().catch(() => {});
  browser = undefined;
  if (server && server.exitCode === null && server.signalCode === null) server.kill();
  server = undefined;
  rmSync(build, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().finally(() => process.exit(130)));

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

async function main() {
  console.log('building the app…');
  const built = spawnSync(process.execPath, [vite, 'build', '--outDir', build, '--emptyOutDir', '--logLevel', 'error'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('vite build failed');
  server = spawn(process.execPath, [vite, 'preview', '--port', String(port), '--strictPort', '--outDir', build], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = server;
  await new Promise((resolve, reject) => {
    started.stdout.on('data', (d) => d.toString().includes(String(port)) && resolve());
    started.on('exit', (c) => reject(new Error(`vite preview exited (${c}); is port ${port} in use? (SCREENSHOTS_PORT moves it)`)));
  });

  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumArgs });
  // a fresh profile: no saved runs, the page a newcomer opens
  const context = await browser.newContext({ viewport: SIZES[0], deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`http://localhost:${port}/${backend === 'auto' ? '' : `?backend=${backend}`}`);
  await page.getByTestId('engine').waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => window.__rlhf?.run.engine || window.__rlhf?.run.errors.length, null, { timeout: 120_000 });
  mkdirSync(outDir, { recursive: true });
  await shoot(page, 'first-load');

  // "Quick look": a 1-layer model and a few dozen steps per stage
  await page.getByTestId('settings-preset-micro').click();
  await page.getByTestId('run-pipeline').click();
  const t0 = Date.now();
  // mid-run: the reward model training (pretraining and SFT done), or PPO if that was missed
  await page.waitForFunction(
    () => {
      const r = window.__rlhf.run;
      return (r.stage === 'rm' && r.total > 0 && r.step >= 0.3 * r.total) || r.stage === 'ppo' || r.state !== 'training';
    },
    null,
    { timeout: 600_000, polling: 100 },
  );
  await shoot(page, 'mid-run');
  await page.waitForFunction(() => window.__rlhf.run.state !== 'training', null, { timeout: 900_000, polling: 500 });
  const state = await page.evaluate(() => window.__rlhf.run.state);
  if (state !== 'done') throw new Error(`the run ended ${state}: ${await page.evaluate(() => window.__rlhf.run.errors.map((e) => e.message).join('; '))}`);
  console.log(`the run took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await shoot(page, 'finished');
}

/** The state's pictures at every size, each panel scrolled to the top of the viewport. */
async function shoot(page, state) {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const [name, selector] of SHOTS[state]) {
      await page.evaluate((sel) => {
        if (sel) document.querySelector(sel)?.scrollIntoView({ block: 'start' });
        else window.scrollTo(0, 0);
      }, selector);
      // two frames: the panel is laid out, then the charts redraw at their width
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.waitForTimeout(300);
      const path = join(outDir, `${name}-${size.width}x${size.height}.png`);
      await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
      console.log(`${path} (${(statSync(path).size / 1024).toFixed(0)} KB)`);
    }
  }
  await page.setViewportSize(SIZES[0]);
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`usage: npm run screenshots -- [--backend auto|webgpu|wasm|cpu] [--out DIR]`);
    o[argv[i].slice(2)] = argv[i + 1];
  }
  return o;
}
