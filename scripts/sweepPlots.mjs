// The sweep plots as files, for the runner (pipeline.mjs, after each seed of a --sweep) and for
// `npm run plots -- <sweep.json>` (plots.mjs): <name>-overoptimisation.svg, -knob.svg, -tax.svg and a
// CSV of each plot's data, next to <name>.json. The plots are the app's own (src/plots/), loaded
// through Vite's module runner as the runner loads its task list, so there is one drawing code.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

let modules;

/** src/plots/sweepPlots.ts and readSweep.ts, loaded once. */
export function plotModules() {
  const load = async (path) => (await runnerImport(fileURLToPath(new URL(`../${path}`, import.meta.url)), { configFile: false, logLevel: 'silent' })).module;
  modules ??= Promise.all([load('src/plots/sweepPlots.ts'), load('src/plots/readSweep.ts')]).then(([plots, read]) => ({ ...plots, ...read }));
  return modules;
}

/** Writes the plots of `report` next to `jsonPath`; returns the paths written. */
export async function writeSweepPlots(report, jsonPath) {
  const { sweepPlots, plotFiles, plotFileName } = await plotModules();
  const base = jsonPath.replace(/\.json$/i, '');
  const written = [];
  for (const plot of sweepPlots(report)) {
    const files = plotFiles(plot, report);
    for (const ext of ['svg', 'csv']) {
      const path = plotFileName(base, plot, ext);
      writeFileSync(path, files[ext]);
      written.push(path);
    }
  }
  return written;
}
