// npm run test:trl — the round trip through TRL (issue #20), on one CPU, offline:
//   1. a virtual environment from python/requirements.txt (kept between runs, keyed by the file's hash)
//   2. browser: a micro run saved as the app saves one, its "Continue in TRL" bundle, the browser's numbers
//   3. transformers gives the browser's RM scores and policy log-probs on the same texts (≤ 1e-4)
//   4. TRL's RewardTrainer from the bundle's SFT model ranks the held-out pairs better than chance
//   5. TRL's RLOOTrainer trains the policy a few steps against the bundle's RM
//   6. browser: the TRL policy imports through the app's import code, samples, and is judged against the browser run
//      (its evaluation, same seed, test prompts and held-out labelers, with the TRL policy in place of its PPO policy)
// Prints one line per check and closes with "N passed, N failed". TRL_VENV moves the environment.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'test-output', 'trl');
const requirements = join(root, 'python', 'requirements.txt');
const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
const venv = process.env.TRL_VENV || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rlhf-in-the-browser', `trl-venv-${hash}`);
const python = join(venv, 'bin', 'python');
// transformers, datasets and the hub never reach for the network: everything is in the bundle
const env = {
  ...process.env,
  HF_HUB_OFFLINE: '1',
  HF_DATASETS_OFFLINE: '1',
  TRANSFORMERS_OFFLINE: '1',
  HF_HOME: join(out, 'hf-home'),
  TOKENIZERS_PARALLELISM: 'false',
};

const results = [];

/** Runs a command with its output shown; returns its stdout (also echoed). */
function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  writeFileSync(join(out, `${args.find((a) => /\.(py|ts)$/.test(a))?.replace(/.*\//, '') ?? cmd.replace(/.*\//, '')}.log`), `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}, ${seconds} s):\n${(r.stderr || r.stdout || '').split('\n').slice(-25).join('\n')}`);
  return r.stdout;
}

function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = fn();
    results.push(true);
    console.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s)${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (e) {
    results.push(false);
    console.log(`✗ ${name}: ${e instanceof Error ? e.message : e}`);
    return false;
  }
}

const lastJson = (text) =>
  JSON.parse(
    text
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop(),
  );

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const steps = [
  [
    'virtual environment from python/requirements.txt (offline)',
    () => {
      if (existsSync(join(venv, '.complete'))) return `reused ${venv}`;
      rmSync(venv, { recursive: true, force: true });
      run('python3', ['-m', 'venv', venv]);
      // --retries 0: where only local wheels are reachable, a registry that cannot answer costs nothing
      run(python, ['-m', 'pip', 'install', '--retries', '0', '--disable-pip-version-check', '-r', requirements]);
      writeFileSync(join(venv, '.complete'), hash);
      return `made ${venv}`;
    },
  ],
  [
    'browser: a saved micro run → its "Continue in TRL" bundle and the browser numbers',
    () => {
      run('npx', ['vitest', 'run', '--project', 'trl', 'tests/trl/export.test.ts']);
      const files = unzipSync(readFileSync(join(out, 'bundle.zip')));
      for (const [path, bytes] of Object.entries(files)) {
        mkdirSync(dirname(join(out, 'bundle', path)), { recursive: true });
        writeFileSync(join(out, 'bundle', path), bytes);
      }
      return `${Object.keys(files).length} files`;
    },
  ],
  [
    "transformers gives the browser's RM scores and policy log-probs (≤ 1e-4)",
    () => {
      const r = lastJson(run(python, ['python/check_parity.py', '--bundle', join(out, 'bundle'), '--browser', join(out, 'browser-numbers.json')]));
      return `max |Δ| reward ${r.reward_max_abs_diff.toExponential(1)} on ${r.reward_texts} texts, log-prob ${r.logprob_max_abs_diff.toExponential(1)} on ${r.policy_tokens} tokens`;
    },
  ],
  [
    "TRL's RewardTrainer ranks the held-out pairs better than chance",
    () => {
      const args = ['--set', 'max_steps=60', '--set', 'per_device_train_batch_size=32'];
      const m = lastJson(run(python, ['python/train_reward.py', '--bundle', join(out, 'bundle'), '--out', join(out, 'rm-trl'), ...args]));
      const browser = JSON.parse(readFileSync(join(out, 'browser-report.json'), 'utf8')).rm.heldout_accuracy;
      const text = `held-out accuracy ${m.heldout_accuracy.toFixed(3)} on ${m.heldout_pairs} pairs (before training ${m.heldout_accuracy_before.toFixed(3)}; the browser's RM ${browser.toFixed(3)})`;
      if (!(m.heldout_accuracy > 0.5)) throw new Error(`not better than chance: ${text}`);
      return text;
    },
  ],
  [
    "TRL's RLOOTrainer trains the policy against the bundle's RM",
    () => {
      run(python, ['python/train_policy.py', '--bundle', join(out, 'bundle'), '--out', join(out, 'policy-trl'), '--set', 'max_steps=4']);
      if (!existsSync(join(out, 'policy-trl', 'model.safetensors'))) throw new Error('no policy-trl/model.safetensors');
      return '4 steps';
    },
  ],
  [
    "browser: the TRL policy imports through the app's import code, samples, and is judged against the browser run",
    () => {
      run('npx', ['vitest', 'run', '--project', 'trl', 'tests/trl/import.test.ts']);
      const samples = JSON.parse(readFileSync(join(out, 'browser-samples.json'), 'utf8'));
      const j = JSON.parse(readFileSync(join(out, 'browser-judge.json'), 'utf8'));
      const pct = (x) => `${(100 * x).toFixed(0)}%`;
      const side = (s) => `${pct(s.winrate_vs_sft)} [${pct(s.winrate_ci95[0])}, ${pct(s.winrate_ci95[1])}], labeler score ${s.labeler_score.toFixed(3)}`;
      const judged = `on ${j.prompts} test prompts, preferred to SFT: TRL policy ${side(j.trl_policy)}; browser PPO ${side(j.browser_ppo)}; SFT ${j.sft_labeler_score.toFixed(3)}`;
      const said = samples
        .slice(0, 2)
        .map((s) => JSON.stringify(s.prompt.slice(-30)) + ' → ' + JSON.stringify(s.sample))
        .join('; ');
      return `${said}; ${judged}`;
    },
  ],
];

for (const [name, fn] of steps) if (!check(name, fn)) break; // each step needs the one before
const passed = results.filter(Boolean).length;
const failed = steps.length - passed;
console.log(`\ntrl: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
