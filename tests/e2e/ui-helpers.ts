import { mkdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Shared steps of the UI tests: screenshots, accessibility audit, overflow check. */
const OUT = 'test-output';

/**
 * Panels off screen skip rendering (content-visibility: auto) until scrolled to; a full-page
 * capture or audit scrolls nothing, so render everything while it looks.
 */
async function withEverythingRendered<T>(page: Page, body: () => Promise<T>): Promise<T> {
  await page.evaluate(() => {
    const style = document.createElement('style');
    style.id = '__e2e-render-all';
    style.textContent = '.panel { content-visibility: visible !important; }';
    document.head.append(style);
  });
  try {
    return await body();
  } finally {
    await page.evaluate(() => document.getElementById('__e2e-render-all')?.remove());
  }
}

export async function screenshot(page: Page, name: string, size: { width: number; height: number }): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await page.setViewportSize(size);
  await withEverythingRendered(page, async () => {
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${OUT}/${name}-${size.width}x${size.height}.png`, fullPage: true });
  });
}

/** Horizontal overflow of the page (px beyond the viewport; 0 when nothing overflows). */
export function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** axe-core's serious and critical violations, as "rule: target" strings. */
export async function axeViolations(page: Page): Promise<string[]> {
  const source = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
  await page.evaluate(source);
  return withEverythingRendered(page, () =>
    page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary?: string }[] }[] }>;
          };
        }
      ).axe;
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} ${n.failureSummary ?? ''}`));
    }),
  );
}

/**
 * Main-thread long tasks while the worker trains. The app's budget is 50 ms per task, and it is
 * reported as a measured figure (the longest task, how many exceeded 50 ms): on a loaded machine
 * a 40 ms task becomes 53 ms, which says nothing about the app. A test fails only on what load
 * cannot explain: one task over {@link HARD_TASK_MS} (a frozen page), or long tasks in most of the
 * run's seconds. Why 1 s and not 200 ms: with a load average of 10 on this 2-core machine (another
 * job's training beside the suite) single tasks of 230-481 ms were seen while the wasm pipeline ran.
 */
const BUDGET_MS = 50;
const HARD_TASK_MS = 1000;

interface LongTask {
  ms: number;
  /** seconds since recording started */
  at: number;
  stage: string;
}
export interface LongTaskRecord {
  tasks: LongTask[];
  /** seconds recorded */
  seconds: number;
}

/** Starts recording main-thread long tasks (> 50 ms, as the browser defines them), each with the run's stage. */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: { ms: number; at: number; stage: string }[]; __ltStart: number; __ltObserver?: PerformanceObserver };
    w.__longTasks = [];
    const t0 = performance.now();
    w.__ltStart = t0;
    w.__ltObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const r = (window as unknown as { __rlhf?: { run?: { stage?: string | null; state?: string } } }).__rlhf?.run;
        w.__longTasks.push({ ms: e.duration, at: (e.startTime - t0) / 1000, stage: `${r?.stage ?? '–'}, ${r?.state ?? '–'}` });
      }
    });
    w.__ltObserver.observe({ type: 'longtask', buffered: false });
  });
}

export async function stopLongTasks(page: Page): Promise<LongTaskRecord> {
  return page.evaluate(() => {
    const w = window as unknown as { __longTasks: { ms: number; at: number; stage: string }[]; __ltStart: number; __ltObserver?: PerformanceObserver };
    w.__ltObserver?.disconnect();
    return { tasks: w.__longTasks, seconds: (performance.now() - w.__ltStart) / 1000 };
  });
}

/** Prints the measured figures and asserts what load cannot explain (see {@link BUDGET_MS}). */
export function expectResponsive(record: LongTaskRecord, label: string): void {
  const { tasks, seconds } = record;
  const longest = tasks.reduce((m, t) => Math.max(m, t.ms), 0);
  const busySeconds = new Set(tasks.map((t) => Math.floor(t.at))).size;
  const list = tasks.map((t) => `${t.ms.toFixed(0)} ms at +${t.at.toFixed(2)} s (${t.stage})`).join(', ');
  console.log(
    `[main thread] ${label}: ${tasks.length} task(s) over ${BUDGET_MS} ms in ${seconds.toFixed(0)} s, longest ${longest.toFixed(0)} ms${tasks.length ? `: ${list}` : ''}`,
  );
  expect(longest, `a main-thread task over ${HARD_TASK_MS} ms (${label}): ${list}`).toBeLessThanOrEqual(HARD_TASK_MS);
  expect(busySeconds, `main-thread tasks over ${BUDGET_MS} ms in ${busySeconds} of ${seconds.toFixed(0)} s (${label}): ${list}`).toBeLessThanOrEqual(
    Math.max(2, seconds / 2),
  );
}

export interface RlhfHandle {
  run: { state: string; stage: string | null; series: Record<string, Record<string, number[]>>; report: unknown };
  savedRuns: { list: { id: string; name: string; report?: unknown }[]; recordingId: string | null };
  pipelineConfig: Record<string, unknown>;
}

export function readHandle<T>(page: Page, fn: (h: RlhfHandle) => T): Promise<T> {
  return page.evaluate(`(${fn.toString()})(window.__rlhf)`) as Promise<T>;
}

/** Tiny step counts, typed into the settings UI on top of a preset (which sets the model size). */
export const TINY: Record<string, string> = {
  'pretrain.steps': '16',
  'pretrain.corpusDocs': '200',
  'sft.steps': '8',
  'sft.demonstrations': '16',
  'rm.steps': '4',
  'rm.k': '4', // the tests' user rankings hold 4 responses
  'rm.trainPrompts': '16',
  'rm.heldoutPrompts': '8',
  'ppo.iterations': '2',
  'ppo.rolloutBatch': '8',
  'ppo.probeEvery': '1',
  'eval.testPrompts': '8',
  'eval.pretrainWindows': '16',
};
