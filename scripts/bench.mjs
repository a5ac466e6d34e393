#!/usr/bin/env node
// `npm run bench`: kernel and training-step benchmarks in ONE headless Chromium session (one
// WebGPU adapter — SwiftShader on machines without a GPU). Serves scripts/bench/*.html with Vite's
// dev server, runs each section in the page, writes bench.json and prints a table.
//
//   npm run bench -- [--only peer,attention,ppo,generate,train_step] [--reps N] [--peer-reps N]
//                    [--out bench.json]
//
// Sections:
//   peer                  our training step on webgpu and on tfjs `cpu`, and @genai-fi/nanogpt 0.15.6 on
//                         webgpu (its own page: it bundles its own tfjs), vocab 128, context 64, d_model 128,
//                         2 layers, 4 heads, MLP ×4, batch 16; medians after warm-up; peer_over_ours, cpu_over_ours
//   attention_fwd_bwd     fused causal attention vs the reference (B 8, heads 4, T 128 and 256, head size 32)
//   ppo_ptx_loss_fwd_bwd  fused PPO-ptx loss vs the reference (B 16, T 64, vocab 256, ptx batch the same)
//   generate              64 tokens for 16 prompts, KV cache vs recomputation; then the app's shapes
//                         (preset tiny, B = 32 and 128 prompts of 10-17 tokens, 16 new tokens, τ = 1):
//                         ms per decode step of the KV decoder vs the tf.concat cache it replaced
//                         (alternating runs, medians; --decode-reps N, default 5)
//   train_step            preset tiny, batch 16: ms, tokens/s, mfu against the best matmul of this run
//   rm_step               the reward model's step at the app's shapes (48 rows × 33, padded) and its
//                         forward alone, beside an LM step of the same shape and a pretraining step
//   wasm_threads          tfjs-wasm: an LM step (--wasm-preset, default tiny: 16 × 64) and the RM step (tiny, 48 × 33)
//                         on a page that is not cross-origin isolated (the SIMD build), on the threaded build with 1
//                         and 2 threads, and as the app runs them (2 cores: each step split across 2 one-thread workers,
//                         src/train/dataParallel.ts); pages alternate, --wasm-rounds N rounds (default 3) of 4 steps each
//   wasm_workers          how far this machine runs wasm side by side: 1 and 2 bench workers at once (each a one-thread
//                         tfjs-wasm) timing an arithmetic loop (control) and tiny LM steps, 16 × 64 alone vs 8 × 64
//                         on two workers at once — the ceiling of splitting a batch across workers — and 8 × 64 in two
//                         browsers at once (two processes: whether what the steps share is the hardware); --wasm-rounds N
//   engine_choice         the app's engine choice (src/worker/engineChoice.ts) at the tiny preset: webgpu vs wasm
//   dispatches            GPU dispatches and submits per LM, RM and PPO-minibatch step at the tiny preset, by program
//                         (scripts/bench/dispatches.ts), beside the counts before issue 17's fusions (deterministic: no timing)
//
// The pages are served cross-origin isolated (COOP/COEP, as vite.config.ts does) unless the URL says isolated=0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg as osLoadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './chromium.mjs';
import { createServer } from 'vite';

const args = parseArgs(process.argv.slice(2));
const ALL = ['peer', 'attention', 'ppo', 'generate', 'train_step', 'rm_step', 'wasm_threads', 'wasm_workers', 'engine_choice', 'dispatches'];
const only = args.only ? String(args.only).split(',') : ALL;
for (const s of only) if (!ALL.includes(s)) fail(`unknown section "${s}" (${ALL.join(', ')})`);
const reps = Number(args.reps ?? 10);
const peerReps = Number(args['peer-reps'] ?? reps);
const out = args.out ?? 'bench.json';
const decodeReps = Number(args['decode-reps'] ?? 5);
const wasmRounds = Number(args['wasm-rounds'] ?? 3);
const wasmPreset = args['wasm-preset'] ?? 'tiny';
const port = Number(process.env.BENCH_PORT ?? 4179);

const server = await createServer({
  configFile: false,
  root: process.cwd(),
  // BENCH_CACHE_DIR: keep Vite's dependency cache elsewhere (e.g. a worktree sharing node_modules)
  ...(process.env.BENCH_CACHE_DIR ? { cacheDir: process.env.BENCH_CACHE_DIR } : {}),
  logLevel: 'warn',
  plugins: [isolationHeaders()],
  // no HMR, no watching: editing sources during a run must not reload the pages
  server: { port, strictPort: true, hmr: false, watch: { ignored: ['**/*'] } },
  optimizeDeps: {
    entries: ['scripts/bench/ours.html', 'scripts/bench/peer.html'],
    include: [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program',
      '@genai-fi/nanogpt',
    ],
  },
});
await server.listen();
const profile = mkdtempSync(join(tmpdir(), 'rlhf-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath(),
  headless: true,
  args: chromiumArgs,
});

const report = { date: new Date().toISOString(), adapter: null, results: {} };
let exitCode = 0;
try {
  const ours = await openPage('ours');
  report.adapter = await ours.evaluate(() => window.__bench.adapter());
  const a = report.adapter;
  log(`adapter: ${a.vendor} ${a.architecture}${a.isFallback ? ' (fallback)' : ''}, ${a.cores} cores`);

  if (only.includes('peer')) {
    log(`peer: our step on webgpu (${reps} steps)…`);
    const webgpu = await ours.evaluate((reps) => window.__bench.trainStep({ backend: 'webgpu', fused: true, warmup: 2, reps }), reps);
    log(`  ${fmt(webgpu.ms)} ms/step, ${webgpu.dispatches_per_step} dispatches, ${webgpu.submits_per_step} submits`);
    log(`peer: our step on tfjs cpu (${reps} steps)…`);
    const cpu = await ours.evaluate((reps) => window.__bench.trainStep({ backend: 'cpu', fused: false, warmup: 1, reps }), reps);
    log(`  ${fmt(cpu.ms)} ms/step`);
    log(`peer: @genai-fi/nanogpt on webgpu (${peerReps} steps)…`);
    const peerPage = await openPage('peer');
    const peer = await peerPage.evaluate((reps) => window.__bench.trainPeer({ backend: 'webgpu', warmup: 2, reps }), peerReps);
    await peerPage.close();
    log(`  ${fmt(peer.ms)} ms/step`);
    report.results.peer = {
      config: { vocab: 128, context: 64, d_model: 128, layers: 2, heads: 4, mlp: 4, batch: 16 },
      ours_webgpu_ms: webgpu.ms,
      ours_cpu_ms: cpu.ms,
      peer_webgpu_ms: peer.ms,
      peer_over_ours: peer.ms / webgpu.ms,
      cpu_over_ours: cpu.ms / webgpu.ms,
      ours_dispatches_per_step: webgpu.dispatches_per_step,
      ours_submits_per_step: webgpu.submits_per_step,
      steps: { ours_webgpu: webgpu.steps_ms, ours_cpu: cpu.steps_ms, peer_webgpu: peer.steps_ms },
      peer_params: peer.params,
      note: peerReps < 10 ? `peer: ${peerReps} steps only (slow here)` : undefined,
    };
  }
  if (only.includes('attention')) {
    log('attention_fwd_bwd…');
    const t128 = await ours.evaluate(() => window.__bench.attention({ B: 8, nh: 4, T: 128, hs: 32 }));
    const t256 = await ours.evaluate(() => window.__bench.attention({ B: 8, nh: 4, T: 256, hs: 32 }));
    report.results.attention_fwd_bwd = { ...t128, t256 };
  }
  if (only.includes('ppo')) {
    log('ppo_ptx_loss_fwd_bwd…');
    report.results.ppo_ptx_loss_fwd_bwd = await ours.evaluate(() => window.__bench.ppo());
  }
  if (only.includes('generate')) {
    log('generate…');
    report.results.generate = await ours.evaluate(() => window.__bench.generate(16, 64));
    for (const B of [32, 128]) {
      log(`generate: decode steps, B = ${B} (${decodeReps} alternating runs)…`);
      report.results[`generate_decode_b${B}`] = await ours.evaluate(([B, reps]) => window.__bench.decode(B, reps), [B, decodeReps]);
    }
  }
  if (only.includes('train_step')) {
    log('train_step (preset tiny)…');
    report.results.train_step = await ours.evaluate(() => window.__bench.trainStepEntry('tiny', 16));
  }
  if (only.includes('rm_step')) {
    log('rm_step (preset tiny)…');
    report.results.rm_step = await ours.evaluate(() => window.__bench.rmStep());
  }
  if (only.includes('wasm_threads')) {
    const app = await ours.evaluate(() => window.__bench.wasmSteps(0, 1));
    const configs = [
      { name: 'not isolated (SIMD build, 1 thread)', query: '?isolated=0&wasmWorkers=1' },
      { name: 'threaded build, 1 thread', query: '?wasmThreads=1&wasmWorkers=1' },
      { name: 'threaded build, 2 threads', query: '?wasmThreads=2&wasmWorkers=1' },
      { name: `the app's: ${app.workers} workers × ${app.threads} thread(s), each step split`, query: '' },
    ];
    const pages = [];
    for (const c of configs) pages.push(c.query ? await openPage('ours', c.query) : ours);
    const rounds = configs.map(() => []);
    for (let r = 0; r < wasmRounds; r++)
      for (let i = 0; i < configs.length; i++) {
        log(`wasm_threads: round ${r + 1}/${wasmRounds}, ${configs[i].name}…`);
        rounds[i].push(await pages[i].evaluate((preset) => window.__bench.wasmSteps(1, 4, preset), wasmPreset));
      }
    for (const p of pages) if (p !== ours) await p.close();
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const entries = configs.map((c, i) => ({
      name: c.name,
      isolated: rounds[i][0].isolated,
      threads: rounds[i][0].threads,
      workers: rounds[i][0].workers,
      lm_ms: med(rounds[i].map((x) => x.lm_ms)),
      rm_ms: med(rounds[i].map((x) => x.rm_ms)),
      rounds_lm_ms: rounds[i].map((x) => x.lm_ms),
      rounds_rm_ms: rounds[i].map((x) => x.rm_ms),
    }));
    report.results.wasm_threads = {
      lm_preset: wasmPreset,
      lm_shape: rounds[0][0].lm_shape,
      rm_shape: rounds[0][0].rm_shape,
      configs: entries,
      // the app's engine (entries[3]: 2 workers on this machine) and 2 threads against one thread
      lm_speedup_vs_1_thread: entries[1].lm_ms / entries[3].lm_ms,
      rm_speedup_vs_1_thread: entries[1].rm_ms / entries[3].rm_ms,
      lm_speedup_vs_not_isolated: entries[0].lm_ms / entries[3].lm_ms,
      rm_speedup_vs_not_isolated: entries[0].rm_ms / entries[3].rm_ms,
      lm_2_threads_vs_1_thread: entries[1].lm_ms / entries[2].lm_ms,
      rm_2_threads_vs_1_thread: entries[1].rm_ms / entries[2].rm_ms,
      load_average: loadavg(),
    };
  }
  if (only.includes('wasm_workers')) {
    // Each case: [kind, workers, batch]. A split batch's step ends when its slower half ends (max over workers).
    const cases = [
      ['spin', 1, 0],
      ['spin', 2, 0],
      ['lm', 1, 16],
      ['lm', 2, 8],
      ['lm', 1, 8],
    ];
    const rounds = cases.map(() => []);
    for (let r = 0; r < wasmRounds; r++)
      for (let i = 0; i < cases.length; i++) {
        log(`wasm_workers: round ${r + 1}/${wasmRounds}, ${cases[i].join(' ')}…`);
        rounds[i].push(await ours.evaluate(([kind, w, B]) => window.__bench.wasmWorkers(kind, w, B), cases[i]));
      }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ms = rounds.map((rs) => med(rs.map((r) => Math.max(...r.map((w) => w.ms)))));
    // the same two half-batch steps at once, each in its own browser (two processes, no heap, allocator or
    // V8 helper threads shared): if they slow each other as two workers of one page do, what they share is the hardware
    const secondProfile = mkdtempSync(join(tmpdir(), 'rlhf-bench-'));
    const second = await chromium.launchPersistentContext(secondProfile, {
      executablePath: chromiumPath(),
      headless: true,
      args: chromiumArgs,
    });
    const twoProcesses = [];
    try {
      const other = await openPage('ours', '', second);
      for (let r = 0; r < wasmRounds; r++) {
        log(`wasm_workers: round ${r + 1}/${wasmRounds}, lm 8 in two browsers at once…`);
        const both = await Promise.all([ours, other].map((p) => p.evaluate(() => window.__bench.wasmWorkers('lm', 1, 8))));
        twoProcesses.push(Math.max(...both.map((x) => x[0].ms)));
      }
    } finally {
      await second.close();
      rmSync(secondProfile, { recursive: true, force: true });
    }
    // the split itself: two workers exchanging weights and gradients every step
    const dp = [];
    for (let r = 0; r < wasmRounds; r++) {
      log(`wasm_workers: round ${r + 1}/${wasmRounds}, data parallel 2 × 8…`);
      dp.push(await ours.evaluate(() => window.__bench.wasmDataParallel(16)));
    }
    // the same batches from the same start: the split step's losses against the whole step's (float summation order only)
    const whole = rounds[2][0][0].losses;
    const lossDiff = Math.max(...dp.flatMap((r) => r.losses.map((x, i) => Math.abs(x - whole[i]))));
    report.results.wasm_workers = {
      cases: cases.map(([kind, workers, B], i) => ({ kind, workers, batch: B, ms: ms[i], rounds_ms: rounds[i].map((r) => r.map((w) => w.ms)) })),
      spin_2_vs_1: ms[1] / ms[0],
      lm_half_batch_share: ms[4] / ms[2],
      lm_2_workers_slowdown: ms[3] / ms[4],
      lm_split_ceiling: ms[2] / ms[3],
      lm_2_processes_ms: med(twoProcesses),
      lm_2_processes_rounds_ms: twoProcesses,
      lm_2_processes_slowdown: med(twoProcesses) / ms[4],
      data_parallel_ms: med(dp.map((r) => r.ms)),
      data_parallel_rounds_ms: dp.map((r) => r.ms),
      data_parallel_speedup: ms[2] / med(dp.map((r) => r.ms)),
      data_parallel_max_loss_diff: lossDiff,
      steps_compared: whole.length,
      load_average: loadavg(),
    };
  }
  if (only.includes('engine_choice')) {
    log('engine_choice (preset tiny, 16 × 64)…');
    report.results.engine_choice = { ...(await ours.evaluate(() => window.__bench.engineChoice('tiny', 16, 64))), load_average: loadavg() };
  }
  if (only.includes('dispatches')) {
    log('dispatches (preset tiny: LM, RM and PPO steps)…');
    report.results.dispatches = await ours.evaluate(() => window.__bench.dispatches());
  }
  writeFileSync(out, JSON.stringify(report, null, 2));
  printTable(report);
  console.log(`\nwritten to ${out}`);
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);

/** COOP/COEP on every response (as vite.config.ts serves the app), except for pages asked with isolated=0. */
function isolationHeaders() {
  return {
    name: 'isolation-headers',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!/[?&]isolated=0\b/.test(req.url ?? '')) {
          res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
          res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        }
        next();
      });
    },
  };
}

async function openPage(name, query = '', browser = context) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[${name}] page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[${name}] ${m.text()}`);
    else if (args.verbose || m.text().startsWith('peer:')) console.log(`  [${name}] ${m.text()}`);
  });
  await page.goto(`http://localhost:${port}/scripts/bench/${name}.html${query}`);
  await page.waitForFunction(() => document.title === 'bench ready', null, { timeout: 180_000 });
  return page;
}

function printTable({ adapter, results: r }) {
  const rows = [];
  if (r.peer) {
    const p = r.peer;
    rows.push(['peer: ours webgpu', `${fmt(p.ours_webgpu_ms)} ms/step`, `${p.ours_dispatches_per_step} dispatches, ${p.ours_submits_per_step} submits`]);
    rows.push(['peer: ours tfjs cpu', `${fmt(p.ours_cpu_ms)} ms/step`, `cpu_over_ours ${fmt(p.cpu_over_ours, 2)}`]);
    rows.push(['peer: nanogpt webgpu', `${fmt(p.peer_webgpu_ms)} ms/step`, `peer_over_ours ${fmt(p.peer_over_ours, 2)}`]);
  }
  for (const [name, key] of [
    ['attention_fwd_bwd', 'attention_fwd_bwd'],
    ['ppo_ptx_loss_fwd_bwd', 'ppo_ptx_loss_fwd_bwd'],
  ]) {
    const x = r[key];
    if (!x) continue;
    rows.push([name, `${fmt(x.custom_ms)} vs ${fmt(x.reference_ms)} ms`, `speedup ${fmt(x.speedup, 2)}, bytes ${x.custom_bytes} vs ${x.reference_bytes}`]);
    if (x.t256)
      rows.push([
        `${name} T=256`,
        `${fmt(x.t256.custom_ms)} vs ${fmt(x.t256.reference_ms)} ms`,
        `speedup ${fmt(x.t256.speedup, 2)}, bytes ${x.t256.custom_bytes} vs ${x.t256.reference_bytes}`,
      ]);
  }
  if (r.generate)
    rows.push(['generate 16×64', `${fmt(r.generate.kv_cache_ms)} vs ${fmt(r.generate.recompute_ms)} ms`, `speedup ${fmt(r.generate.speedup, 2)}`]);
  for (const B of [32, 128]) {
    const d = r[`generate_decode_b${B}`];
    if (!d) continue;
    const [now, before] = [d.kv_decoder, d.concat_cache];
    rows.push([
      `generate decode B=${B}`,
      `${fmt(now.ms_per_decode_step)} vs ${fmt(before.ms_per_decode_step)} ms/step`,
      `speedup ${fmt(before.ms_per_decode_step / now.ms_per_decode_step, 2)}; prefill ${fmt(now.prefill_ms)} vs ${fmt(before.prefill_ms)} ms; same tokens ${d.same_tokens}`,
    ]);
  }
  if (r.rm_step) {
    const t = r.rm_step;
    rows.push([
      `rm_step ${t.rows}×${t.columns}`,
      `${fmt(t.step_ms['positions+mask'])} ms/step`,
      `${t.dispatches_per_step} dispatches, forward ${fmt(t.forward_ms)} ms; LM step same shape ${fmt(t.lm_same_shape_ms)} ms (${t.lm_same_shape_dispatches} dispatches), pretraining 16×64 ${fmt(t.lm_pretrain_ms)} ms`,
    ]);
    for (const [k, v] of Object.entries(t.step_ms)) rows.push([`  rm_step given ${k}`, `${fmt(v)} ms/step`, '']);
  }
  if (r.wasm_threads) {
    const w = r.wasm_threads;
    for (const c of w.configs)
      rows.push([
        `wasm ${c.name}`,
        `LM ${fmt(c.lm_ms)} ms/step`,
        `RM ${fmt(c.rm_ms)} ms/step (isolated ${c.isolated}, ${c.workers ?? 1} worker(s) × ${c.threads} thread(s))`,
      ]);
    rows.push([
      "wasm, the app's engine vs 1 thread",
      `LM ×${fmt(w.lm_speedup_vs_1_thread, 2)}`,
      `RM ×${fmt(w.rm_speedup_vs_1_thread, 2)}; vs not isolated LM ×${fmt(w.lm_speedup_vs_not_isolated, 2)}, RM ×${fmt(w.rm_speedup_vs_not_isolated, 2)}; ` +
        `2 threads vs 1: LM ×${fmt(w.lm_2_threads_vs_1_thread, 2)}, RM ×${fmt(w.rm_2_threads_vs_1_thread, 2)}; load ${w.load_average}`,
    ]);
  }
  if (r.wasm_workers) {
    const w = r.wasm_workers;
    const c = (i) => fmt(w.cases[i].ms);
    rows.push(['wasm workers: arithmetic loop, 1 / 2 at once', `${c(0)} / ${c(1)} ms`, `×${fmt(w.spin_2_vs_1, 2)} (1.00: two free cores)`]);
    rows.push([
      'wasm workers: LM step 16 alone / 8 alone / 2 × 8 at once',
      `${c(2)} / ${c(3 + 1)} / ${c(3)} ms`,
      `split ceiling ×${fmt(w.lm_split_ceiling, 2)}; data parallel ${fmt(w.data_parallel_ms)} ms ×${fmt(w.data_parallel_speedup, 2)}, losses within ${w.data_parallel_max_loss_diff.toExponential(1)} of the whole step's over ${w.steps_compared} steps (half batch ${fmt(w.lm_half_batch_share, 2)} of a full one; two at once ×${fmt(w.lm_2_workers_slowdown, 2)} of one, in two browsers ×${fmt(w.lm_2_processes_slowdown, 2)}); load ${w.load_average}`,
    ]);
  }
  if (r.engine_choice) {
    const e = r.engine_choice;
    rows.push([
      `engine_choice ${e.preset} ${e.batch}×${e.context}`,
      `webgpu ${fmt(e.webgpuMs)} vs wasm ${fmt(e.wasmMs)} ms/step`,
      `→ ${e.chosen} (wasm ${e.wasmThreads} threads; median of ${e.timedSteps} after ${e.warmupSteps} warm-up; load ${e.load_average})`,
    ]);
  }
  if (r.train_step) {
    const t = r.train_step;
    rows.push([
      `train_step ${t.preset}`,
      `${fmt(t.ms)} ms/step`,
      `${fmt(t.tokens_per_s)} tok/s, mfu ${fmt(t.mfu, 3)}, matmul peak ${fmt(t.matmul_peak_gflops, 2)} GFLOP/s`,
    ]);
  }
  if (r.dispatches) {
    const { before, ...now } = r.dispatches;
    for (const [step, d] of Object.entries(now)) {
      const b = before?.[step];
      rows.push([
        `dispatches ${step} step`,
        `${d.dispatches} dispatches, ${d.submits} submits`,
        b?.dispatches ? `before (${before.commit}): ${b.dispatches} dispatches, ${b.submits} submits` : '',
      ]);
    }
  }
  console.log(`\nadapter: ${adapter.vendor} ${adapter.architecture}${adapter.isFallback ? ' (fallback)' : ''}`);
  const w = [0, 0];
  for (const row of rows) for (let i = 0; i < 2; i++) w[i] = Math.max(w[i], row[i].length);
  for (const row of rows) console.log(`${row[0].padEnd(w[0])}  ${row[1].padEnd(w[1])}  ${row[2]}`);
}

function loadavg() {
  return osLoadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

function fmt(x, digits) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  return digits === undefined ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : x.toFixed(digits);
}

function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function fail(msg) {
  console.error(msg);
  process.exit(1);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    if (v !== undefined) out[k] = v;
    else if (argv[i + 1] && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}
