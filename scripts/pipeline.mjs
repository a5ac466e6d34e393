#!/usr/bin/env node
// Headless pipeline runner: builds the app if needed, serves it, opens it in headless Chromium and
// runs every stage + the evaluation with the SAME worker code the UI uses. Prints a summary table
// and writes a JSON report (a sweep's also its plots, as SVG and CSV next to it: scripts/sweepPlots.mjs).
//
//   npm run pipeline -- [--task NAME] [--preset micro|tiny|small|larger] [--seed N] [--backend auto|webgpu|wasm|cpu]
//                       [--out FILE] [--set ppo.iterations=20 ...] [--list-tasks]
//                       [--sweep ppo.beta=0.01,0.02,0.05 [--seeds 11,12,13]]
//                       [--sweep setup=base,ppo.epochs=2,ppo.lr=0.00015+ppo.iterations=30 …]
//                       [--profile DIR] [--list-runs] [--fork-from REPORT_OR_RUN --from-stage sft|rm|ppo|eval [--set …]]
//                       [--wasm-workers 1|2]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { runnerImport } from 'vite';
import { chromiumArgs, chromiumPath } from './chromium.mjs';
import { writeSweepPlots } from './sweepPlots.mjs';
import { forkSource, forkStageArg, printRuns, profilePort, savedRunOf, startInPage } from './runnerRuns.mjs';

/**
 * The tasks and model presets the app knows, read from its own source (src/tasks, the preset
 * setting of src/rlhf/config.ts) through Vite's module runner, which loads the TypeScript as the
 * app's build does. So there is no copy here to drift from the app, and no browser or build is
 * needed first: --list-tasks and a wrong --task or --preset answer at once.
 */
async function appCatalog() {
  const load = async (path) => (await runnerImport(fileURLToPath(new URL(`../${path}`, import.meta.url)), { configFile: false, logLevel: 'silent' })).module;
  const [{ TASKS }, { PIPELINE_SETTINGS }] = await Promise.all([load('src/tasks/index.ts'), load('src/rlhf/config.ts')]);
  return { tasks: Object.values(TASKS).map((t) => ({ name: t.name, title: t.title })), presets: PIPELINE_SETTINGS.preset.values };
}

/** A failure the runner reports in one line (exit code 2); anything else is unexpected (exit code 1). */
class RunnerFailure extends Error {}

// Whatever ends the run — success, fail(), an exception, Ctrl-C — the preview server and the
// browser are stopped, so the next run finds its port free.
let server;
let context;
/** a throwaway profile, deleted at the end (--profile DIR is kept) */
let profile;
async function cleanup() {
  await context?.close().catch(() => {});
  context = undefined;
  if (server && server.exitCode === null && server.signalCode === null) server.kill();
  server = undefined;
  if (profile) rmSync(profile, { recursive: true, force: true });
  profile = undefined;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  if (e instanceof RunnerFailure) {
    console.error(`error: ${e.message}`);
    exitCode = 2;
  } else {
    console.error(e instanceof Error ? e.message : e);
    exitCode = 1;
  }
} finally {
  await cleanup();
}
process.exit(exitCode);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { tasks, presets } = await appCatalog();
  if (args['list-tasks']) {
    for (const { name, title } of tasks) console.log(`${name.padEnd(14)} ${title}`);
    return;
  }
  // --fork-from re-runs a saved run with its own task, preset and seed (changing them means starting from scratch).
  const forking = args['fork-from'] !== undefined;
  if (forking && ['task', 'preset', 'seed', 'sweep'].some((k) => args[k] !== undefined))
    fail('--fork-from keeps the saved run’s task, preset and seed (and runs one setup): give only --from-stage and --set');
  if ((forking || args['list-runs']) && !args.profile)
    fail(`${forking ? '--fork-from' : '--list-runs'} needs --profile DIR, the browser profile the runs were saved in`);
  const fromStage = forking ? forkStageArg(args['from-stage'], fail) : undefined;
  const task = args.task ?? 'instructions';
  if (!tasks.some((t) => t.name === task)) fail(`unknown task "${task}"; --list-tasks lists them`);
  const preset = args.preset ?? 'tiny';
  if (!presets.includes(preset)) fail(`unknown preset "${preset}" (${presets.join(', ')})`);
  const seed = Number(args.seed ?? 1);
  if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer`);
  // auto (the default): the engine the app picks by itself (on a software adapter it times webgpu
  // against wasm before the run, src/worker/engineChoice.ts); the others force one (?backend=).
  const backend = args.backend ?? 'auto';
  if (!['auto', 'webgpu', 'wasm', 'cpu'].includes(backend)) fail(`--backend must be auto, webgpu, wasm or cpu`);
  // A kept profile serves on the port its runs were saved under (IndexedDB is per origin).
  const port = args.profile ? profilePort(args.profile, process.env.RUNNER_PORT, fail) : Number(process.env.RUNNER_PORT ?? 4175);

  buildIfNeeded();
  server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--port', String(port), '--strictPort'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = server;
  await new Promise((resolve, reject) => {
    started.stdout.on('data', (d) => d.toString().includes(String(port)) && resolve());
    started.on('exit', (c) => reject(new RunnerFailure(`vite preview exited (${c}); is port ${port} in use? (RUNNER_PORT moves it)`)));
  });
  if (!args.profile) profile = mkdtempSync(join(tmpdir(), 'rlhf-runner-'));
  context = await chromium.launchPersistentContext(args.profile ?? profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: chromiumArgs,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  // --wasm-workers 1|2: a wasm training step unsplit or split across two workers (default: the app's, 2 with 2 cores or more)
  const workers = args['wasm-workers'];
  if (workers !== undefined && !['1', '2'].includes(String(workers))) fail('--wasm-workers must be 1 or 2');
  const query = [...(backend === 'auto' ? [] : [`backend=${backend}`]), ...(workers ? [`wasmWorkers=${workers}`] : [])];
  await page.goto(`http://localhost:${port}/${query.length ? `?${query.join('&')}` : ''}`);
  if (args['list-runs']) return printRuns(page, fail);
  await page.waitForFunction(() => window.__rlhf?.run.engine || window.__rlhf?.run.errors.length, null, { timeout: 120_000 });
  const engine = await page.evaluate(() => window.__rlhf.run.engine);
  if (!engine) fail(`the ${backend} backend did not start: ${await page.evaluate(() => window.__rlhf.run.errors.map((e) => e.message).join('; '))}`);
  console.log(
    `backend ${engine.backend}${engine.backend === 'wasm' ? ` · ${(engine.wasmWorkers ?? 1) > 1 ? `${engine.wasmWorkers} workers × ` : ''}${engine.wasmThreads} thread(s)${engine.crossOriginIsolated ? '' : ' (not cross-origin isolated)'}` : ''}` +
      `${engine.adapter ? ` · ${engine.adapter.vendor} ${engine.adapter.architecture}${engine.adapter.isFallback ? ' (software fallback)' : ''}` : ''}`,
  );

  // --preset applies the UI's settings preset of that name (model size + step counts for it and the
  // task, src/state/presets.ts), so `--preset small` runs what the app's "Small" button runs.
  const setupFor = async (seed) => {
    // the app's own "preset for a task" (src/state/presets.ts presetConfig): no copy here to drift
    const config = await page.evaluate(({ task, preset, seed }) => window.__rlhf.presetConfig(task, preset, seed), { task, preset, seed });
    for (const assignment of [].concat(args.set ?? [])) applySet(config, assignment);
    return config;
  };
  const check = async (config) => {
    const problems = await page.evaluate((config) => window.__rlhf.setupProblems(config), config);
    if (problems.length) fail(`this setup cannot run:\n  ${problems.join('\n  ')}`);
  };

  if (!args.sweep) {
    // One run, saved in the page; with --fork-from a re-run of a saved run from --from-stage, on its
    // settings with --set applied: only that stage and the later ones train, from the saved checkpoint.
    const source = forking ? await forkSource(page, args['fork-from'], fail) : undefined;
    const config = source ? structuredClone(source.config) : await setupFor(seed);
    if (source) for (const assignment of [].concat(args.set ?? [])) applySet(config, assignment);
    if (source?.backend && source.backend !== engine.backend)
      console.warn(`note: “${source.name}” ran on ${source.backend}, this re-run on ${engine.backend}: its numbers are not those of either backend's run`);
    await check(config);
    const problem = await startInPage(page, config, source && { runId: source.id, stage: fromStage });
    if (problem) fail(problem);
    const [report] = await waitForReports(page, 1);
    // With a kept profile, which saved run this is (what --fork-from takes), and where it was forked from.
    if (args.profile) report.saved_run = await savedRunOf(page, args.profile);
    const file = args.out ?? `pipeline-${config.task}-${config.preset}-seed${config.seed}-${backend}${source ? `-from-${fromStage}` : ''}.json`;
    writeFileSync(file, JSON.stringify(report, null, 2));
    printSummary(report);
    if (report.saved_run?.forked_from) console.log(`  forked from “${source.name}” (${source.id}) at ${fromStage}`);
    console.log(`report written to ${file}`);
  } else {
    // --sweep key=v1,v2,… over --seeds: per seed, the setups share every stage before the one the
    // key belongs to (src/rlhf/variants.ts), e.g. a PPO knob trains pretraining, SFT and the RM once.
    const [key, list] = String(args.sweep).split(/=(.*)/s);
    if (!list) fail('--sweep expects key=v1,v2,…');
    const values = list.split(',');
    const seeds = String(args.seeds ?? seed)
      .split(',')
      .map(Number);
    if (seeds.some((x) => !Number.isInteger(x) || x < 0)) fail('--seeds expects whole numbers, e.g. 1,2,3');
    const t0 = Date.now();
    const bySeed = [];
    const sweepOut = args.out ?? `sweep-${task}-${preset}-${key}-${backend}.json`;
    const write = async (complete) => {
      const wall = (Date.now() - t0) / 1000;
      const points = values.map((value, j) => ({ value, reports: bySeed.map((reports) => reports[j]) }));
      const report = { kind: 'sweep', complete, task, preset, backend, key, values, seeds: seeds.slice(0, bySeed.length), wall_seconds: wall, points };
      writeFileSync(sweepOut, JSON.stringify(report, null, 2));
      // The plots next to it (src/plots/ through scripts/sweepPlots.mjs), redrawn after every seed like the
      // JSON. A plot that fails is reported and the sweep goes on: its JSON holds everything to redraw it
      // later (npm run plots).
      await writeSweepPlots(report, sweepOut).then(
        (files) => complete && console.log(`plots written: ${files.join(', ')}`),
        (e) => console.error(`the plots could not be drawn (npm run plots -- ${sweepOut} retries): ${e instanceof Error ? e.message : e}`),
      );
      return { wall, points };
    };
    for (const sd of seeds) {
      const base = await setupFor(sd);
      const configs = values.map((v) => {
        const c = structuredClone(base);
        // --sweep setup=base,ppo.epochs=2,ppo.lr=0.00015+ppo.iterations=30 compares whole setups:
        // each value is "base" (no change) or assignments joined by "+".
        if (key === 'setup') for (const a of v === 'base' ? [] : v.split('+')) applySet(c, a);
        else applySet(c, `${key}=${v}`);
        return c;
      });
      for (const c of configs) await check(c);
      console.log(`seed ${sd}: ${configs.length} setups (${key} = ${values.join(', ')})`);
      await page.evaluate((configs) => window.__rlhf.startVariants(configs), configs);
      bySeed.push(await waitForReports(page, configs.length));
      await write(false); // what there is so far: a long sweep stopped later keeps its finished seeds
    }
    const { wall, points } = await write(true);
    printSweep(key, points, seeds, wall);
    console.log(`sweep report written to ${sweepOut}`);
  }
}

/** Waits until the run is done with `n` reports, printing stage transitions; returns the reports. */
async function waitForReports(page, n) {
  const t0 = Date.now();
  let shown = 0;
  let lastProgress = '';
  for (;;) {
    const s = await page.evaluate(() => {
      const r = window.__rlhf.run;
      return {
        state: r.state,
        stages: r.stages.map((x) => ({ ...x })),
        stage: r.stage,
        step: r.step,
        total: r.total,
        eta: r.etaSeconds,
        errors: r.errors.map((e) => e.message),
        message: r.message,
        reports: r.reports.length,
      };
    });
    for (; shown < s.stages.length; shown++) {
      const st = s.stages[shown];
      console.log(`[${clock(Date.now() - t0)}] ${st.stage.padEnd(8)} ${st.state}${st.message ? `: ${st.message}` : ''}`);
    }
    const progress = `${s.stage} ${s.step}/${s.total}`;
    if (process.stdout.isTTY && progress !== lastProgress) process.stdout.write(`  ${progress} (eta ${Math.round(s.eta)} s)\r`);
    lastProgress = progress;
    if (s.state === 'failed' || s.state === 'stopped' || s.errors.length) fail(`the run ${s.state}: ${s.errors.join('; ') || s.message}`);
    if (s.state === 'done' && s.reports >= n) {
      if (s.message) console.log(s.message);
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return page.evaluate(() => JSON.parse(JSON.stringify(window.__rlhf.run.reports)));
}

/** One line per sweep value: each seed's win rate (95% interval), then the means. */
function printSweep(key, points, seeds, wall) {
  const f = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : String(x));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\n${key} sweep over seeds ${seeds.join(', ')} (${points[0].reports[0].eval.split === 'val' ? 'DEV set' : 'test split'}), ${f(wall, 0)} s`);
  for (const p of points) {
    const r = p.reports;
    const wins = r.map((x) => `${f(x.eval.winrate_ppo_vs_sft)} [${f(x.eval.winrate_ci95?.[0], 2)}, ${f(x.eval.winrate_ci95?.[1], 2)}]`).join('  ');
    const tax = mean(r.map((x) => x.eval.pretrain_loss.ppo - x.eval.pretrain_loss.sft));
    console.log(
      `  ${String(p.value).padEnd(8)} win ${wins}  mean ${f(mean(r.map((x) => x.eval.winrate_ppo_vs_sft)))} · labeler sft ${f(mean(r.map((x) => x.eval.labeler_score.sft)))} ppo ${f(mean(r.map((x) => x.eval.labeler_score.ppo)))} · kl ${f(mean(r.map((x) => x.stages.ppo.kl_last)), 2)} · tax ${f(tax, 2)} · RM ${f(mean(r.map((x) => x.stages.rm.heldout_accuracy)))}`,
    );
  }
}

function printSummary(r) {
  const f = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : String(x));
  // A re-run (--fork-from … --from-stage X) restores the stages before X from the saved run: their
  // numbers are that run's, so their time column says so instead of a time this run did not spend.
  const order = ['pretrain', 'sft', 'rm', 'ppo', 'eval'];
  const forkedAt = r.saved_run?.forked_from?.stage;
  const restored = (stage) => forkedAt !== undefined && order.indexOf(stage) < order.indexOf(forkedAt);
  const secs = (stage) => (restored(stage) ? '(from the checkpoint)' : `${f(r.stages[stage].seconds, 0)} s`);
  const rows = [
    ['pretrain', `${r.stages.pretrain.steps} steps`, `loss ${f(r.stages.pretrain.loss_first)} → ${f(r.stages.pretrain.loss_last)}`, secs('pretrain')],
    ['sft', `${r.stages.sft.steps} steps`, `loss ${f(r.stages.sft.loss_first)} → ${f(r.stages.sft.loss_last)}`, secs('sft')],
    [
      'rm',
      `${r.stages.rm.steps} steps`,
      `accuracy train ${f(r.stages.rm.train_accuracy)} held-out ${f(r.stages.rm.heldout_accuracy)}${r.stages.rm.heldout_accuracy_ci95 ? ` [${r.stages.rm.heldout_accuracy_ci95.map((x) => f(x)).join(', ')}]` : ''} (rubric ${f(r.stages.rm.rubric_heldout_accuracy)})`,
      secs('rm'),
    ],
    [
      '',
      `${f(r.stages.rm.passes, 2)} passes`,
      `held-out prompts vs training labelers ${f(r.stages.rm.heldout_accuracy_train_labelers)}; SFT samples ${f(100 * r.stages.rm.sampled_share, 1)}% of ranked`,
      '',
    ],
    [
      'ppo',
      `${r.stages.ppo.iterations} iterations`,
      `reward ${f(r.stages.ppo.reward_first)} → ${f(r.stages.ppo.reward_last)}, KL ${f(r.stages.ppo.kl_last)}`,
      secs('ppo'),
    ],
  ];
  console.log(
    `\n${r.task} · ${r.preset} · seed ${r.seed} · ${r.backend}${r.wasm_workers > 1 ? ` · ${r.wasm_workers} workers` : ''}${r.adapter ? ` (${r.adapter.vendor} ${r.adapter.architecture})` : ''}`,
  );
  for (const row of rows) console.log(`  ${row[0].padEnd(9)}${row[1].padEnd(16)}${row[2].padEnd(52)}${row[3]}`);
  const e = r.eval;
  const a = e.labeler_agreement;
  const agreement =
    a && typeof a === 'object' ? `train–train ${f(a.train_train)} held-out–held-out ${f(a.heldout_heldout)} train–held-out ${f(a.train_heldout)}` : f(a);
  console.log(`  eval     ${e.prompts} ${e.split === 'val' ? 'DEV (validation)' : 'test'} prompts, labeler agreement ${agreement}`);
  console.log(`           labeler score  base ${f(e.labeler_score.base)}  sft ${f(e.labeler_score.sft)}  ppo ${f(e.labeler_score.ppo)}`);
  console.log(
    `           win rate PPO vs SFT ${f(e.winrate_ppo_vs_sft)}${e.winrate_ci95 ? ` (95% interval ${f(e.winrate_ci95[0])}–${f(e.winrate_ci95[1])})` : ''}`,
  );
  console.log(
    `           held-out pretraining loss  sft ${f(e.pretrain_loss.sft)}  ppo ${f(e.pretrain_loss.ppo)}  (alignment tax ${f(e.pretrain_loss.ppo - e.pretrain_loss.sft)})`,
  );
  console.log(`  total ${f(r.seconds, 0)} s`);
  // The targets the project holds the default task to (README: Results). KL bound: with β = 0.02 a
  // policy that keeps within 10 nats per response of SFT has not collapsed onto a reward hack.
  const ls = e.labeler_score;
  const checks = [
    ['RM held-out accuracy ≥ 0.70', r.stages.rm.heldout_accuracy >= 0.7],
    ['win rate PPO vs SFT ≥ 0.60', e.winrate_ppo_vs_sft >= 0.6],
    ['labeler score base < sft < ppo', ls.base < ls.sft && ls.sft < ls.ppo],
    ['0 ≤ kl_last < 10 nats per response', r.stages.ppo.kl_last >= 0 && r.stages.ppo.kl_last < 10],
  ];
  console.log(`  targets: ${checks.map(([name, ok]) => `${ok ? '✓' : '✗'} ${name}`).join(' · ')}`);
}

function applySet(config, assignment) {
  const [path, raw] = assignment.split('=');
  if (raw === undefined) fail(`--set expects key=value, got "${assignment}"`);
  const keys = path.split('.');
  let obj = config;
  for (const k of keys.slice(0, -1)) {
    if (typeof obj[k] !== 'object') fail(`unknown setting "${path}"`);
    obj = obj[k];
  }
  const last = keys[keys.length - 1];
  if (!(last in obj)) fail(`unknown setting "${path}"`);
  const current = obj[last];
  obj[last] = typeof current === 'number' ? Number(raw) : typeof current === 'boolean' ? raw === 'true' : raw;
  if (typeof current === 'number' && !Number.isFinite(obj[last])) fail(`"${path}" must be a number`);
}

function buildIfNeeded() {
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs),
      0,
    );
  const built = existsSync('dist/index.html') ? statSync('dist/index.html').mtimeMs : 0;
  if (built > Math.max(newest('src'), newest('shaders'))) return;
  console.log('building the app…');
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) fail('vite build failed');
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) fail(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (key === 'list-tasks' || key === 'list-runs') o[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      if (key === 'set') (o.set ??= []).push(v);
      else o[key] = v;
    }
  }
  return o;
}

function clock(ms) {
  const s = Math.round(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Stops the run with a one-line message; the cleanup above still runs. */
function fail(message) {
  throw new RunnerFailure(message);
}
