import { mount } from 'svelte';
import App from './App.svelte';
import { run, startVariants, stopTraining } from './state/run.svelte';
import { startRun } from './state/runRecorder.svelte';
import { pipelineConfig } from './state/pipelineConfig.svelte';
import { savedRuns } from './state/runs.svelte';
import { datasets } from './state/datasets.svelte';
import { inspection } from './state/inspection.svelte';
import { samplesView } from './state/samples.svelte';
import { labeling } from './state/labeling.svelte';
import { storage } from './state/storage.svelte';
import { sweepState } from './state/sweep.svelte';
import { forkState } from './state/fork.svelte';
import { presetConfig } from './state/presets';
import { setupProblems } from './rlhf/promptNeeds';
import { reloadForIsolation } from './coi';
import './ui/theme.css';

// On a static host without COOP/COEP headers, the isolation service worker comes first (one reload).
if (!(await reloadForIsolation())) start();

function start(): void {
  mount(App, { target: document.getElementById('app')! });

  // A handle for the headless runner, the end-to-end tests and curious users in the console.
  (globalThis as unknown as { __rlhf: unknown }).__rlhf = {
    run,
    startRun,
    startVariants,
    stopTraining,
    presetConfig,
    setupProblems,
    pipelineConfig,
    savedRuns,
    datasets,
    inspection,
    samplesView,
    labeling,
    storage,
    sweepState,
    forkState,
  };
}
