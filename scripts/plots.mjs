#!/usr/bin/env node
// Re-draws the plots of sweep reports the runner wrote (after a change to the plots, or for a report
// written before the runner drew them):
//
//   npm run plots -- docs/runs/2026-12-05-test/test-instructions.json [more.json …]
//
// writes <name>-overoptimisation.svg, <name>-knob.svg, <name>-tax.svg and their CSVs next to each.
// A file that is not a sweep report is named with what is wrong, and the exit code is 2.
import { readFileSync, statSync } from 'node:fs';
import { plotModules, writeSweepPlots } from './sweepPlots.mjs';

const files = process.argv.slice(2);
if (!files.length || files.includes('--help')) {
  console.error('usage: npm run plots -- <sweep.json> [more.json …]');
  process.exit(files.length ? 0 : 2);
}
const { readSweep, MAX_SWEEP_BYTES } = await plotModules();
let failed = false;
for (const file of files) {
  let text;
  try {
    if (statSync(file).size > MAX_SWEEP_BYTES) throw new Error(`larger than ${MAX_SWEEP_BYTES / 2 ** 20} MB`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`${file}: ${e instanceof Error ? e.message : e}`);
    failed = true;
    continue;
  }
  const { report, error } = readSweep(text);
  if (error) {
    console.error(`${file}: ${error}`);
    failed = true;
    continue;
  }
  for (const path of await writeSweepPlots(report, file)) console.log(path);
}
process.exit(failed ? 2 : 0);
