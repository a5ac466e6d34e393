// The headless runner's saved runs (scripts/pipeline.mjs): a Chromium profile kept between
// invocations (--profile DIR), so the runs the app saves in its IndexedDB — records and checkpoints —
// outlive the runner; --list-runs prints them, and --fork-from re-runs one from a stage through the
// app's own fork (window.__rlhf.startRun with a fork: state/forkCreate.svelte.ts), as "Re-run from" does.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The stages a run can be re-run from, and the stage whose end-of-stage checkpoint each starts from (store/forkRun.ts). */
const BEFORE = { sft: 'pretrain', rm: 'sft', ppo: 'rm', eval: 'ppo' };

/**
 * The port to serve on with a kept profile. IndexedDB is kept per origin, and the origin includes the
 * port: runs saved at localhost:4175 are not seen at localhost:4291. So the profile remembers the port
 * it was first used with, and a run on another port is refused before anything starts.
 */
export function profilePort(dir, requested, fail) {
  const file = join(dir, 'rlhf-runner.json');
  const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).port : undefined;
  if (kept !== undefined && requested !== undefined && Number(requested) !== kept)
    fail(`the runs of profile ${dir} are saved under http://localhost:${kept} (the browser keeps them per origin): run with RUNNER_PORT=${kept}`);
  const port = kept ?? Number(requested ?? 4175);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify({ port }));
  return port;
}

/** Waits until the page has read its saved runs (state/runs.svelte.ts). */
async function loaded(page, fail) {
  await page.waitForFunction(() => window.__rlhf?.savedRuns.loaded || window.__rlhf?.storage.error, null, { timeout: 60_000 });
  const problem = await page.evaluate(() => (window.__rlhf.savedRuns.loaded ? '' : window.__rlhf.storage.error));
  if (problem) fail(`saved runs are unavailable: ${problem}`);
}

/** --list-runs: one line per saved run of the profile, newest first: id, name, state, the stages it can be re-run from. */
export async function printRuns(page, fail) {
  await loaded(page, fail);
  const runs = await page.evaluate(() =>
    window.__rlhf.savedRuns.list.map((r) => ({
      id: r.id,
      name: r.name,
      at: r.createdAt,
      status: r.stageStatus,
      win: r.report?.eval?.winrate_ppo_vs_sft,
      backend: r.report?.backend,
      forkedFrom: r.forkedFrom ? { ...r.forkedFrom } : undefined,
      finals: [...(window.__rlhf.savedRuns.finals[r.id] ?? [])],
    })),
  );
  if (!runs.length) console.log('no saved runs in this profile');
  for (const r of runs) {
    const state = r.win !== undefined ? `done (${r.backend}), win ${r.win.toFixed(3)}` : Object.values(r.status).includes('running') ? 'stopped' : 'unfinished';
    const from = Object.keys(BEFORE).filter((s) => r.finals.includes(BEFORE[s]));
    console.log(
      `${r.id}  ${r.name}\n    ${new Date(r.at).toISOString().slice(0, 16)} · ${state} · re-run from: ${from.join(', ') || '–'}` +
        (r.forkedFrom ? ` · forked from “${r.forkedFrom.runName}” (${r.forkedFrom.runId}) at ${r.forkedFrom.stage}` : ''),
    );
  }
}

/**
 * The saved run `--fork-from` names: a run's id or name (--list-runs), or a report the runner wrote
 * with --profile (its `saved_run.id`). Returns its id, name, settings and the backend it ran on.
 */
export async function forkSource(page, target, fail) {
  let key = target;
  if (existsSync(target) && statSync(target).isFile()) {
    const report = JSON.parse(readFileSync(target, 'utf8'));
    if (report.kind === 'sweep') fail(`${target} is a sweep report: a sweep's runs are not saved, re-run one of its setups with --set`);
    key = report.saved_run?.id;
    if (!key) fail(`${target} was written without --profile: the checkpoints of its run were not kept`);
  }
  await loaded(page, fail);
  const found = await page.evaluate((key) => {
    const list = window.__rlhf.savedRuns.list;
    const byId = list.filter((r) => r.id === key);
    const hits = byId.length ? byId : list.filter((r) => r.name === key);
    return hits.map((r) => ({ id: r.id, name: r.name, config: JSON.parse(JSON.stringify(r.config)), backend: r.report?.backend }));
  }, key);
  if (!found.length) fail(`this profile has no saved run "${key}" (--list-runs lists them)`);
  if (found.length > 1) fail(`${found.length} saved runs are named "${key}": give the id (--list-runs)`);
  return found[0];
}

/** Checks --from-stage: a stage a run can be re-run from. */
export function forkStageArg(stage, fail) {
  if (!(stage in BEFORE)) fail(`--from-stage must be one of ${Object.keys(BEFORE).join(', ')} (pretraining has nothing before it to reuse)`);
  return stage;
}

/**
 * Starts `config` in the page: a new saved run, or with `fork` ({ runId, stage }) a re-run of that
 * saved run from the stage. The app's startRun refuses a fork whose settings change an earlier stage,
 * or whose source lacks the checkpoint it starts from; the refusal is returned ('' when it started).
 */
export function startInPage(page, config, fork) {
  return page.evaluate(({ config, fork }) => window.__rlhf.startRun(config, undefined, fork ?? undefined).then((p) => p ?? ''), { config, fork: fork ?? null });
}

/**
 * The saved run the page just ran, once its record holds the report (so the profile keeps it when the
 * browser closes): its id, name, where it was forked from, and the profile, for the report's `saved_run`.
 */
export async function savedRunOf(page, profile) {
  await page.waitForFunction(() => window.__rlhf.savedRuns.list.find((r) => r.id === window.__rlhf.run.runId)?.report, null, { timeout: 60_000 });
  const run = await page.evaluate(() => {
    const r = window.__rlhf.savedRuns.list.find((x) => x.id === window.__rlhf.run.runId);
    return { id: r.id, name: r.name, ...(r.forkedFrom ? { forked_from: { ...r.forkedFrom } } : {}) };
  });
  return { ...run, profile: resolve(profile) };
}
