import { afterAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run pipeline -- --profile DIR --fork-from …` (#18): a run saved in a kept browser profile is
 * re-run from PPO with another β by a later runner; only PPO and the evaluation train, the new run
 * records where it came from, and its report equals a from-scratch run of the same settings (same
 * backend: runs are deterministic). Micro preset with a few steps per stage, on wasm; port $E2E_PORT + 4.
 */
const PORT = (Number(process.env.E2E_PORT) || 4173) + 4;
const dir = mkdtempSync(join(tmpdir(), 'rlhf-runner-fork-'));
const profile = join(dir, 'profile');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = Object.entries({
  'pretrain.steps': 16,
  'pretrain.corpusDocs': 200,
  'sft.steps': 8,
  'sft.demonstrations': 16,
  'rm.steps': 4,
  'rm.trainPrompts': 16,
  'rm.heldoutPrompts': 8,
  'ppo.iterations': 2,
  'ppo.rolloutBatch': 8,
  'ppo.probeEvery': 1,
  'eval.testPrompts': 8,
  'eval.pretrainWindows': 16,
}).flatMap(([k, v]) => ['--set', `${k}=${v}`]);

function runner(args: string[], port = PORT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/pipeline.mjs', '--backend', 'wasm', ...args], {
      env: { ...process.env, RUNNER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

type Report = Record<string, unknown> & { saved_run?: { id: string; name: string; forked_from?: unknown } };
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
/** A report without its wall times and its saved run: what two runs of the same settings share. */
const numbers = (r: Report) =>
  JSON.parse(JSON.stringify({ ...r, saved_run: undefined }, (k, v) => (k === 'seconds' || k.endsWith('_seconds') || k.endsWith('Seconds') ? undefined : v)));

describe('the headless runner re-runs a saved run from a stage', () => {
  test('--fork-from a report of a kept profile at PPO with β = 0.05 trains PPO and the evaluation only, and equals a from-scratch run', async () => {
    const src = join(dir, 'source.json');
    const first = await runner(['--profile', profile, '--preset', 'micro', ...SMALL, '--out', src]);
    expect(first.code, first.stderr).toBe(0);
    const source = read(src).saved_run!;
    expect(source.id).toBeTruthy();

    const listed = await runner(['--profile', profile, '--list-runs']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${source.id}  ${source.name}`);
    expect(listed.stdout).toMatch(/done \(wasm\), win [\d.]+ · re-run from: sft, rm, ppo, eval/);

    // The saved runs live in the profile's IndexedDB, which the browser keeps per origin: another port is refused at once.
    const moved = await runner(['--profile', profile, '--list-runs'], PORT + 1);
    expect(moved.stderr).toMatch(new RegExp(`saved under http://localhost:${PORT} .*RUNNER_PORT=${PORT}`));
    // A fork cannot change a setting of a stage before the one it starts at.
    const early = await runner(['--profile', profile, '--fork-from', src, '--from-stage', 'ppo', '--set', 'rm.lr=0.001']);
    expect(early.stderr).toMatch(/error: Settings of the reward model differ from the saved run’s: a re-run from PPO cannot change them/);
    expect(early.code).toBe(2);

    const forked = join(dir, 'fork.json');
    const fork = await runner(['--profile', profile, '--fork-from', src, '--from-stage', 'ppo', '--set', 'ppo.beta=0.05', '--out', forked]);
    expect(fork.code, fork.stderr).toBe(0);
    const ran = [...fork.stdout.matchAll(/\] (\w+)\s+running/g)].map((m) => m[1]);
    expect(ran).toEqual(['ppo', 'eval']);
    expect(fork.stdout.match(/\] (pretrain|sft|rm)\s+done/g)).toHaveLength(3); // each restored stage listed once
    // the summary's time column: restored stages say where their numbers come from, PPO its own time
    expect(fork.stdout.match(/^ {2}(pretrain|sft|rm) .*\(from the checkpoint\)$/gm)).toHaveLength(3);
    expect(fork.stdout).toMatch(/^ {2}ppo .* \d+ s$/m);
    const report = read(forked);
    expect(report.saved_run!.forked_from).toEqual({ runId: source.id, runName: source.name, stage: 'ppo' });

    const scratchFile = join(dir, 'scratch.json');
    const scratch = await runner(['--preset', 'micro', ...SMALL, '--set', 'ppo.beta=0.05', '--out', scratchFile]);
    expect(scratch.code, scratch.stderr).toBe(0);
    expect(numbers(report)).toEqual(numbers(read(scratchFile)));
    expect(numbers(report)).not.toEqual(numbers(read(src))); // β moved PPO: the fork trained with its own settings
  });
});
