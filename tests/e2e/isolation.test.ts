import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, startPreview } from './harness';

/**
 * Cross-origin isolation and the wasm thread pool: `vite preview` sends COOP/COEP, so wasm runs its threads; a
 * static copy of dist/ served with no headers at all (a tiny server here, as GitHub Pages would) gets them from the
 * service worker public/coi-sw.js after one reload, and still works single-threaded where service workers are
 * blocked. On 2 cores or more a wasm training step is split across two workers. On a software adapter each run first
 * times webgpu against wasm. No timing is asserted (that is the bench's).
 * The static server uses port $E2E_PORT + 3 (4176 by default).
 */
const STATIC_PORT = (Number(process.env.E2E_PORT) || 4173) + 3;
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** dist/ as plain files: no COOP, no COEP, no other header a static host would not send. */
function staticServer(root: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://localhost').pathname).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    readFile(file).then(
      (body) => res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end('not found'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

interface EngineView {
  backend: string;
  wasmThreads: number | null;
  wasmWorkers: number;
  crossOriginIsolated: boolean;
  autoMeasure: boolean;
  measurement: { chosen: string; webgpuMs: number; wasmMs: number; wasmThreads: number; wasmWorkers: number } | null;
}
type Handle = { __rlhf: { run: { engine: EngineView | null; state: string; losses: number[] } } };

async function engineOf(page: Page): Promise<EngineView> {
  await page.waitForFunction(() => (window as unknown as Handle).__rlhf?.run.engine, null, { timeout: 60_000 });
  return page.evaluate(() => (window as unknown as Handle).__rlhf.run.engine!);
}

/**
 * The wasm engine the app sets up here (src/engine/backend.ts): a training step split across 2 workers with 2
 * cores or more, each with the cores (at most 4) shared out as threads; and how the engine panel says it.
 */
async function expectedWasm(page: Page, isolated = true): Promise<{ workers: number; threads: number; text: string }> {
  const cores = await page.evaluate(() => navigator.hardwareConcurrency || 1);
  const workers = cores >= 2 ? 2 : 1;
  const threads = isolated ? Math.max(1, Math.floor(Math.min(4, cores) / workers)) : 1;
  const each = threads > 1 ? `${threads} threads` : isolated ? '1 thread' : '1 thread (page not cross-origin isolated)';
  return { workers, threads, text: workers > 1 ? `${workers} workers × ${each}` : each };
}

/** A short language-model run from the LM view; returns its losses. */
async function trainLM(page: Page, steps: number): Promise<number[]> {
  await page.getByTestId('view-lm').click();
  await page.getByTestId('setting-preset').selectOption('micro');
  await page.getByTestId('setting-pretrain.steps').fill(String(steps));
  await page.getByTestId('train').click();
  await page.waitForFunction(() => (window as unknown as Handle).__rlhf.run.state === 'done', null, { timeout: 180_000, polling: 500 });
  return page.evaluate(() => [...(window as unknown as Handle).__rlhf.run.losses]);
}

const text = async (page: Page, id: string) => ((await page.getByTestId(id).textContent()) ?? '').replace(/\s+/g, ' ').trim();

describe('served by vite preview (COOP/COEP headers)', () => {
  let server: ChildProcess;
  beforeAll(async () => {
    server = await startPreview();
  });
  afterAll(() => {
    server?.kill();
  });

  test('the page is cross-origin isolated and wasm trains on its workers and threads', async () => {
    const app = await openApp('?backend=wasm');
    const { page } = app;
    try {
      const engine = await engineOf(page);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(engine.backend).toBe('wasm');
      expect(engine.crossOriginIsolated).toBe(true);
      const wasm = await expectedWasm(page);
      expect(engine.wasmThreads).toBe(wasm.threads);
      expect(engine.wasmWorkers).toBe(wasm.workers);
      expect(wasm.workers * wasm.threads).toBeGreaterThan(1); // this project's machines have 2 cores: 2 workers × 1 thread
      expect(await text(page, 'wasm-threads')).toBe(`· ${wasm.text}`);
      if (wasm.workers > 1) expect(await text(page, 'wasm-split')).toMatch(/split in two halves computed side by side by two wasm workers/);
      const losses = await trainLM(page, 10);
      expect(losses).toHaveLength(10);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('on a software adapter a run first times webgpu and wasm, trains on the faster and says so; ?backend=webgpu measures nothing', async () => {
    const app = await openApp('');
    const { page } = app;
    try {
      const engine = await engineOf(page);
      expect(engine.backend).toBe('webgpu');
      expect(engine.autoMeasure).toBe(true); // SwiftShader here
      expect(await text(page, 'engine-choice')).toMatch(/times a few training steps on webgpu and on wasm/);
      const losses = await trainLM(page, 6);
      expect(losses.every(Number.isFinite)).toBe(true);
      const after = await engineOf(page);
      const m = after.measurement!;
      expect(m).not.toBeNull();
      expect(m.wasmMs).toBeGreaterThan(0);
      expect(m.webgpuMs).toBeGreaterThan(0);
      expect(m.chosen).toBe(m.wasmMs < m.webgpuMs ? 'wasm' : 'webgpu');
      expect(after.backend).toBe(m.chosen);
      const wasm = await expectedWasm(page);
      expect([m.wasmThreads, m.wasmWorkers]).toEqual([wasm.threads, wasm.workers]);
      expect(await text(page, 'engine-choice')).toMatch(new RegExp(`webgpu \\(swiftshader\\) \\d+ ms/step, wasm · ${wasm.text} \\d+ ms/step → ${m.chosen}$`));
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
    const forced = await openApp('?backend=webgpu');
    try {
      const engine = await engineOf(forced.page);
      expect(engine.backend).toBe('webgpu');
      expect(engine.autoMeasure).toBe(false);
      expect(await forced.page.getByTestId('engine-choice').count()).toBe(0);
    } finally {
      await forced.close();
    }
  });
});

describe('a static copy of dist/ served without any header', () => {
  let server: Server;
  beforeAll(async () => {
    server = await staticServer('dist', STATIC_PORT);
  });
  afterAll(() => {
    server?.close();
  });
  const origin = `http://localhost:${STATIC_PORT}`;

  test('the service worker isolates the page after one reload: threads, IndexedDB, downloads and the worker all work', async () => {
    const app = await openApp('?backend=wasm', { origin });
    const { page } = app;
    try {
      const engine = await engineOf(page);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${origin}/coi-sw.js`);
      expect(engine.wasmThreads).toBe((await expectedWasm(page)).threads);
      const losses = await trainLM(page, 10);
      expect(losses.every(Number.isFinite)).toBe(true);

      // IndexedDB: a demonstration written by hand is still there after a reload (which does not reload again)
      await page.getByTestId('view-label').click();
      await page.getByTestId('mode-write').click();
      await page.getByTestId('demo-input').fill('written under the service worker');
      await page.getByTestId('submit-demo').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-demo-count"]')?.textContent === '1');
      await page.reload();
      await engineOf(page);
      await page.getByTestId('view-label').click();
      await page.getByTestId('mode-write').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="user-demo-count"]')?.textContent === '1');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

      // a download (a blob: URL) passes untouched
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-demonstrations').first().click()]);
      expect(readFileSync((await download.path())!, 'utf8')).toContain('written under the service worker');
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('where service workers are blocked the app still trains, on one wasm thread, and says why', async () => {
    const app = await openApp('?backend=wasm', { origin, serviceWorkers: 'block' });
    const { page } = app;
    try {
      const engine = await engineOf(page);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(engine.crossOriginIsolated).toBe(false);
      expect(engine.wasmThreads).toBe(1);
      expect(await text(page, 'wasm-threads')).toBe(`· ${(await expectedWasm(page, false)).text}`);
      const losses = await trainLM(page, 6);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(app.consoleErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
