import type { SweepReport } from '../rlhf/sweepReport';
import { knobPlot } from './knobPlot';
import { overoptimisationPlot } from './overoptimisation';
import { toSvgString } from './svgTree';
import { toCsv, toJson, type Plot } from './table';
import { taxPlot } from './taxPlot';

/**
 * The three plots of a sweep, and each one's files: the one entry point of the app's panel
 * (ui/plots/) and the runner (scripts/sweepPlots.mjs), so both draw the same plots.
 */
export function sweepPlots(r: SweepReport): Plot[] {
  return [overoptimisationPlot(r), knobPlot(r), taxPlot(r)];
}

export interface PlotFiles {
  svg: string;
  csv: string;
  json: string;
}

/** What identifies the sweep a plot's JSON comes from (its data rows say the rest). */
function sweepIdentity(r: SweepReport): Record<string, unknown> {
  return { task: r.task, preset: r.preset, backend: r.backend, key: r.key, values: r.values, seeds: r.seeds, complete: r.complete };
}

export function plotFiles(plot: Plot, r: SweepReport): PlotFiles {
  return { svg: `<?xml version="1.0" encoding="UTF-8"?>\n${toSvgString(plot.svg)}\n`, csv: toCsv(plot.table), json: toJson(plot, sweepIdentity(r)) };
}

/** "<base>-<plot>.<ext>": next to the sweep's JSON in the runner, the download's name in the app. */
export function plotFileName(base: string, plot: Plot, ext: keyof PlotFiles): string {
  return `${base}-${plot.id}.${ext}`;
}
