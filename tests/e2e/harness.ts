import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';

/**
 * Serves the BUILT app (dist/) with `vite preview` on a fixed port (4173, or $E2E_PORT) and opens it in headless
 * Chromium with WebGPU (SwiftShader). Console errors and page errors are collected.
 */
export interface AppSession {
  page: Page;
  context: BrowserContext;
  url: string;
  consoleErrors: string[];
  close(): Promise<void>;
}

/** E2E_PORT moves the preview server off 4173, so two checkouts can run their tests at once. */
const PORT = Number(process.env.E2E_PORT) || 4173;
/** E2E_DIST serves another build than dist/ (`vite build --outDir …`), so a test never rebuilds the dist/ a running job serves. */
const DIST = process.env.E2E_DIST ? ['--outDir', process.env.E2E_DIST] : [];

export async function startPreview(): Promise<ChildProcess> {
  const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--port', String(PORT), '--strictPort', ...DIST], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('vite preview did not start in 30 s')), 30_000);
    server.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(String(PORT))) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`vite preview exited with ${code}`)));
  });
  return server;
}

/**
 * Opens the app at `path` (e.g. '?backend=wasm'). `origin` serves it from elsewhere than the preview server (a static
 * server in a test); `serviceWorkers: 'block'` is a browser where the page cannot register a service worker.
 */
export async function openApp(
  path = '',
  opts: { userDataDir?: string; webgpu?: boolean; origin?: string; serviceWorkers?: 'allow' | 'block' } = {},
): Promise<AppSession> {
  const { userDataDir, webgpu = true, origin = `http://localhost:${PORT}`, serviceWorkers = 'allow' } = opts;
  const dir = userDataDir ?? mkdtempSync(join(tmpdir(), 'rlhf-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(),
    headless: true,
    // Without --enable-unsafe-webgpu, requestAdapter() finds nothing here: a browser without WebGPU.
    args: webgpu ? chromiumArgs : chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu'),
    viewport: { width: 1280, height: 800 },
    serviceWorkers,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  const url = `${origin}/${path}`;
  await page.goto(url);
  return {
    page,
    context,
    url,
    consoleErrors,
    async close() {
      await context.close();
      if (!userDataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
