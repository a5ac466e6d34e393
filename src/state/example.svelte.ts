import { exampleSftCheckpoint, readExampleManifest, type ExampleManifest } from '../rlhf/exampleStart';
import { setupProblems } from '../rlhf/promptNeeds';
import { presetProblem } from '../io/modelUpload';
import type { PresetName } from '../model/config';
import type { SettingValue } from '../share/link';
import { createImportedRun } from '../store/importedRun';
import { MAX_RUN_NAME } from '../store/runs';
import { errorMessage } from '../util/errorMessage';
import { hexOf, quickConfig, readExampleModels } from './exampleSetup';
import { run } from './run.svelte';
import { resumeRun } from './runRecorder.svelte';
import { runById, savedRuns, showNewRun } from './runs.svelte';
import { database, storage } from './storage.svelte';
import { sweepState } from './sweep.svelte';

/**
 * "See RLHF in ~2 minutes": a run that starts from the shipped example's end-of-SFT models
 * (public/example/, `npm run example`) and trains the reward model and PPO-ptx here, then evaluates.
 * The zip's SHA-256 is checked against its manifest; the run is an imported start (its record says
 * pretraining and SFT were skipped and where the models came from, rlhf/exampleStart.ts), resumed like
 * any saved run. Problems are plain text, shown next to the button.
 */
export const example = $state({
  manifest: null as ExampleManifest | null,
  /** why the manifest could not be read ('' when it was, or has not been asked for) */
  manifestError: '',
  busy: false,
  /** what is being done before the run starts */
  phase: '',
  error: '',
  /** the saved run the quick path started (its provenance is shown while it is the current run) */
  runId: null as string | null,
});

/** The e2e test's lighter reward model and PPO (settings of the RM stage and later only), set through the handle below. */
const exampleTest = { overrides: {} as Record<string, SettingValue> };
(globalThis as unknown as { __rlhfExample: unknown }).__rlhfExample = { example, exampleTest };

const url = (file: string): string => `${import.meta.env.BASE_URL}example/${file}`;

async function fetchOk(file: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url(file), { cache: 'no-cache' });
  } catch (e) {
    throw new Error(`example/${file} could not be fetched (${errorMessage(e)})`, { cause: e });
  }
  if (!res.ok) throw new Error(`example/${file} could not be fetched (HTTP ${res.status})`);
  return res;
}

let loading: Promise<ExampleManifest | null> | null = null;

/** Reads the example's manifest (once); null, with `example.manifestError` set, when it cannot be read. */
export function loadExampleManifest(): Promise<ExampleManifest | null> {
  loading ??= fetchOk('manifest.json')
    .then(async (res) => readExampleManifest(await res.json()))
    .then(
      (m) => (example.manifest = m),
      (e: unknown) => {
        example.manifestError = `The shipped example is unavailable: ${errorMessage(e)}.`;
        loading = null;
        return null;
      },
    );
  return loading;
}

/** The run's name in Saved runs. */
function runName(m: ExampleManifest): string {
  return Array.from(`${m.task} · ${m.preset} · seed ${m.seed} · quick start from the shipped example`).slice(0, MAX_RUN_NAME).join('');
}

/** Where the run's pretraining and SFT come from, for its record (Saved runs shows it). */
const EXAMPLE_SOURCE = 'the shipped example';
function exampleSource(m: ExampleManifest): string {
  return `${EXAMPLE_SOURCE} ${m.file} (made by ${m.made_by}: ${m.task} · ${m.preset} · seed ${m.seed}, end of SFT step ${m.checkpoint.step})`;
}

const fail = (message: string): void => {
  example.error = message;
  example.phase = '';
};

/** Starts the quick path: fetch and check the example, save its end-of-SFT checkpoint under a new run, resume it. */
export async function startExampleRun(): Promise<void> {
  if (example.busy) return;
  example.error = '';
  // The quick path has its own settings: the form's (startBlocker's last reason) do not hold it up.
  if (!run.engine) return fail(run.connecting ? 'Waiting for the compute backend to start.' : 'The compute backend did not start.');
  if (run.state === 'training' || savedRuns.starting || sweepState.running) return fail('A run is in progress: stop it first.');
  example.busy = true;
  try {
    example.phase = 'Fetching the shipped example…';
    const m = await loadExampleManifest();
    if (!m) return fail(example.manifestError);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await (await fetchOk(m.file)).arrayBuffer());
    } catch (e) {
      return fail(`The shipped example is unavailable: ${errorMessage(e)}.`);
    }
    const sha = hexOf(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
    if (sha !== m.sha256)
      return fail(
        `example/${m.file} does not match the SHA-256 in its manifest (${sha.slice(0, 12)}… instead of ${m.sha256.slice(0, 12)}…): ` +
          'the file is damaged or was changed without its manifest. `npm run example` rebuilds both.',
      );
    example.phase = 'Reading the base and SFT models…';
    const cfg = quickConfig(m, exampleTest.overrides);
    const problems = setupProblems(cfg);
    if (problems.length) return fail(`The quick path cannot run: ${problems.join('; ')}.`);
    const models = readExampleModels(bytes, m.file);
    const shape = presetProblem(models.cfg, cfg.preset as PresetName);
    if (shape) return fail(`The shipped example does not fit its own settings: ${shape}`);
    const db = await database();
    if (!db) return fail(`The quick path starts from a saved checkpoint, and saving is unavailable: ${storage.error || 'this browser has no IndexedDB'}.`);

    example.phase = 'Saving the example’s checkpoint…';
    const source = exampleSource(m);
    const c = exampleSftCheckpoint(models, source);
    let id: string;
    try {
      const made = await createImportedRun(
        db,
        { name: runName(m), task: cfg.task, preset: cfg.preset, seed: cfg.seed, config: cfg, imported: { source, skipped: ['pretrain', 'sft'] } },
        c,
      );
      showNewRun(made.run, made.checkpoint);
      id = made.run.id;
    } catch (e) {
      return fail(`The example’s checkpoint could not be saved (${errorMessage(e)}); nothing was started.`);
    }
    const problem = await resumeRun(id);
    if (problem) return fail(problem);
    example.runId = id;
    example.phase = '';
  } catch (e) {
    fail(`The quick path could not start: ${errorMessage(e)}`);
  } finally {
    example.busy = false;
  }
}

/** The page's current run started from the shipped example (this session's quick start, or a saved one resumed after a reload). */
export function isExampleRun(): boolean {
  if (!run.runId) return false;
  return run.runId === example.runId || !!runById(run.runId)?.imported?.source.startsWith(`${EXAMPLE_SOURCE} `);
}
