#!/usr/bin/env node
// npm run example: rebuilds the shipped example run in public/example/ — the end-of-SFT models (base and
// SFT) of one Tiny run of the default task with a fixed seed, as the app's model export zip, and
// manifest.json with the zip's SHA-256, the run's settings and report, and the quick path measured on it.
//
//   npm run example -- [--seed 21] [--backend wasm] [--profile DIR] [--from-report FILE] [--no-measure]
//
// 1. The headless runner (scripts/pipeline.mjs) trains the run from scratch with --profile, so its
//    checkpoints are kept (--from-report FILE: a report it already wrote with that --profile).
// 2. The end-of-SFT checkpoint is read from the profile's IndexedDB and exported by the app's own code
//    (store/checkpoints.ts, io/exportBundle.ts), in a page of the Vite dev server on the profile's port.
// 3. The quick path is measured once: the runner re-runs the saved run from the reward model with the
//    quick settings (src/rlhf/exampleStart.ts QUICK_SETTINGS) on the test split (--fork-from … --from-stage rm).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { format, resolveConfig } from 'prettier';
import { runnerImport } from 'vite';
import { chromiumArgs, chromiumPath } from './chromium.mjs';

const OUT_DIR = 'public/example';
const ZIP = 'example-sft.zip';
const TASK = 'instructions';
const PRESET = 'tiny';

const args = parseArgs(process.argv.slice(2));
// The example's seed: of three fresh seeds (21–23), the one whose quick path won most over SFT on its own
// validation prompts (0.672 / 0.635 / 0.650; docs/runs/2026-12-06-dev/example-seed-val-*.json) — checkpoint
// selection on the dev set; the test split of that seed is measured once, below. (Until 2026-12-06: seed 101.)
const seed = Number(args.seed ?? 21);
const backend = args.backend ?? 'wasm';
const keep = args.profile !== undefined;
const profile = resolve(args.profile ?? mkdtempSync(join(tmpdir(), 'rlhf-example-')));
let exitCode = 0;
try {
  await main();
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : e}`);
  exitCode = 1;
} finally {
  if (!keep) rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);

async function main() {
  const { QUICK_SETTINGS } = await load('src/rlhf/exampleStart.ts');
  const runnerEnv = { ...process.env };
  // 1. the run, from scratch, its checkpoints kept in the profile
  const runReport = args['from-report'] ?? join(profile, 'example-run.json');
  const runCmd = ['--profile', profile, '--backend', backend, '--task', TASK, '--preset', PRESET, '--seed', String(seed), '--out', runReport];
  if (!args['from-report']) pipeline(runCmd, runnerEnv);
  const report = JSON.parse(readFileSync(runReport, 'utf8'));
  if (!report.saved_run?.id) throw new Error(`${runReport} has no saved_run: it was not written with --profile ${profile}`);
  if (report.task !== TASK || report.preset !== PRESET) throw new Error(`${runReport} is a ${report.task} · ${report.preset} run, not ${TASK} · ${PRESET}`);

  // 2. its end-of-SFT models, exported by the app's code
  const port = JSON.parse(readFileSync(join(profile, 'rlhf-runner.json'), 'utf8')).port;
  const exported = await exportSft(port, report.saved_run.id, report.preset);
  const zip = Buffer.from(exported.zip, 'base64');

  // 3. the quick path, measured once on the test split
  let quick;
  if (!args['no-measure']) {
    const sets = Object.entries(QUICK_SETTINGS).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const out = join(profile, 'quick-run.json');
    const cmd = ['--profile', profile, '--backend', backend, '--fork-from', runReport, '--from-stage', 'rm', ...sets, '--out', out];
    pipeline(cmd, runnerEnv);
    const q = JSON.parse(readFileSync(out, 'utf8'));
    delete q.saved_run;
    quick = {
      settings: { ...QUICK_SETTINGS },
      command: `npm run pipeline -- ${cmd.slice(0, -2).join(' ').replace(runReport, 'RUN_REPORT').replace(profile, 'PROFILE')}`,
      report: q,
    };
  }

  const made = { ...report };
  delete made.saved_run;
  const manifest = {
    format: 1, // rlhf/exampleStart.ts EXAMPLE_FORMAT (the unit test reads the manifest with it)
    file: ZIP,
    sha256: createHash('sha256').update(zip).digest('hex'),
    bytes: zip.length,
    made_by: 'npm run example',
    created: new Date().toISOString(),
    task: report.task,
    preset: report.preset,
    seed: report.seed,
    backend: report.backend,
    checkpoint: { stage: 'sft', step: exported.step },
    command: `npm run pipeline -- ${runCmd.slice(0, -2).join(' ').replace(profile, 'PROFILE')}`,
    config: report.config,
    report: made,
    ...(quick ? { quick } : {}),
  };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, ZIP), zip);
  // formatted as `npm run check` wants it (prettier, the project's settings)
  const manifestFile = join(OUT_DIR, 'manifest.json');
  writeFileSync(manifestFile, await format(JSON.stringify(manifest), { ...(await resolveConfig(manifestFile)), parser: 'json' }));
  console.log(`wrote ${OUT_DIR}/${ZIP} (${zip.length} bytes, sha256 ${manifest.sha256}) and ${OUT_DIR}/manifest.json`);
  if (quick) {
    const e = quick.report.eval;
    console.log(
      `quick path (${Object.entries(QUICK_SETTINGS)
        .map(([k, v]) => `${k}=${v}`)
        .join(
          ', ',
        )}): win rate PPO vs SFT ${e.winrate_ppo_vs_sft.toFixed(3)} [${e.winrate_ci95?.map((x) => x.toFixed(2)).join(', ')}] on ${e.prompts} ${e.split ?? 'test'} prompts; ` +
        `rm ${quick.report.stages.rm.seconds.toFixed(0)} s, ppo ${quick.report.stages.ppo.seconds.toFixed(0)} s, total ${quick.report.seconds.toFixed(0)} s`,
    );
  }
}

/** A module of the app, loaded as the app's build loads it (Vite's module runner). */
async function load(path) {
  return (await runnerImport(fileURLToPath(new URL(`../${path}`, import.meta.url)), { configFile: false, logLevel: 'silent' })).module;
}

/** Runs the headless runner; throws when it fails. */
function pipeline(runnerArgs, env) {
  console.log(`> npm run pipeline -- ${runnerArgs.join(' ')}`);
  const r = spawnSync(process.execPath, ['scripts/pipeline.mjs', ...runnerArgs], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`the runner failed (exit ${r.status})`);
}

/**
 * The saved run's end-of-SFT checkpoint as the app's model export zip (base/ and sft/), made in a page of
 * the Vite dev server on the profile's origin (IndexedDB is per origin), with the app's own modules.
 */
async function exportSft(port, runId, preset) {
  const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--port', String(port), '--strictPort'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let context;
  try {
    await new Promise((ok, no) => {
      server.stdout.on('data', (d) => d.toString().includes(String(port)) && ok());
      server.on('exit', (c) => no(new Error(`vite exited (${c}); is port ${port} in use?`)));
    });
    context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), headless: true, args: chromiumArgs });
    const page = context.pages()[0] ?? (await context.newPage());
    // A page of the origin that does not start the app (so nothing else opens the database meanwhile).
    await page.goto(`http://localhost:${port}/coi-sw.js`);
    return await page.evaluate(
      async ({ runId, preset }) => {
        const app = (path) => import(/* @vite-ignore */ `/src/${path}`); // the app's modules, served by the dev server
        const { openDb } = await app('store/db.ts');
        const { listCheckpoints, loadCheckpoint } = await app('store/checkpoints.ts');
        const { exportBundle } = await app('io/exportBundle.ts');
        const { PRESETS } = await app('model/config.ts');
        const db = await openDb();
        try {
          const info = (await listCheckpoints(db, runId)).find((c) => c.stage === 'sft' && c.final);
          if (!info) throw new Error(`the saved run ${runId} has no end-of-SFT checkpoint`);
          const c = await loadCheckpoint(db, info.id);
          if (!c.models.base || !c.models.sft) throw new Error(`its end-of-SFT checkpoint holds ${Object.keys(c.models).join(', ')}, not base and sft`);
          const zip = exportBundle(
            PRESETS[preset],
            { base: c.models.base, sft: c.models.sft },
            { stage: 'sft', step: String(c.step), made_by: 'npm run example' },
          );
          let s = '';
          for (let i = 0; i < zip.length; i += 0x8000) s += String.fromCharCode(...zip.subarray(i, i + 0x8000));
          return { zip: btoa(s), step: c.step };
        } finally {
          db.close();
        }
      },
      { runId, preset },
    );
  } finally {
    await context?.close().catch(() => {});
    server.kill();
  }
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (key === 'no-measure') o[key] = true;
    else if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
    else o[key] = argv[++i];
  }
  return o;
}
