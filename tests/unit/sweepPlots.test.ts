import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { readSweep } from '../../src/plots/readSweep';
import { plotFiles, sweepPlots } from '../../src/plots/sweepPlots';
import { textWidth } from '../../src/plots/textWidth';
import type { SweepReport } from '../../src/rlhf/sweepReport';
import { findAll, hasClass, parseXml, type XmlElement } from './xmlCheck';

/** The plots drawn from stored sweep reports (the runner's JSON in docs/runs). */
function stored(path: string): SweepReport {
  const { report, error } = readSweep(readFileSync(path, 'utf8'));
  if (!report) throw new Error(error);
  return report;
}
// γ_ptx 0.01 and 0 over test seeds 101–103 (20 PPO iterations each); β 0.05 and 0.1 over seeds 13 and 11.
const PTX = stored('docs/runs/2026-12-05-test/test-instructions.json');
const BETA = stored('docs/runs/2026-12-05-dev/sen-beta-s13-s11-wasm.json');

function drawn(r: SweepReport) {
  return sweepPlots(r).map((plot) => {
    const files = plotFiles(plot, r);
    return { plot, files, svg: parseXml(files.svg) };
  });
}

const num = (e: XmlElement, a: string) => Number(e.attrs[a]);

/** Curves drawn per plot: one path each, no other <path> in the drawing. */
function curves(svg: XmlElement): number {
  const paths = findAll(svg, (e) => e.name === 'path');
  expect(paths.every((p) => p.attrs.class === 'curve')).toBe(true);
  return paths.length;
}

describe('sweep plots from a stored report', () => {
  test('each SVG is well-formed XML with a size, a title and its caption', () => {
    for (const { plot, svg } of [...drawn(PTX), ...drawn(BETA)]) {
      expect(svg.name).toBe('svg');
      expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
      expect(svg.attrs.viewBox).toBe(`0 0 ${svg.attrs.width} ${svg.attrs.height}`);
      expect(findAll(svg, (e) => e.name === 'title')[0].text).toBe(plot.title);
      expect(findAll(svg, (e) => e.name === 'desc')[0].text).toBe(plot.caption);
    }
  });

  test('one path per curve: a curve per sweep value and panel; one PPO series per knob panel; one tax curve', () => {
    const [over, knob, tax] = drawn(PTX);
    expect(curves(over.svg)).toBe(2 * 2); // proxy and gold panels × γ_ptx 0.01 and 0
    expect(curves(knob.svg)).toBe(3); // SFT is the same at every γ_ptx: a dashed line with its value, not a curve
    expect(findAll(knob.svg, (e) => e.name === 'text').some((t) => /^dashed: SFT, mean 0\.418 at every value$/.test(t.text))).toBe(true);
    expect(curves(tax.svg)).toBe(1);
    expect(findAll(over.svg, hasClass('circle', 'peak'))).toHaveLength(2); // the gold curves' peaks
  });

  test('ticks sit inside their chart box, and every text inside the drawing', () => {
    for (const { svg } of [...drawn(PTX), ...drawn(BETA)]) {
      const [w, h] = [num(svg, 'width'), num(svg, 'height')];
      for (const panel of findAll(svg, hasClass('g', 'panel'))) {
        const [frame] = findAll(panel, hasClass('rect', 'frame'));
        const [x0, y0] = [num(frame, 'x'), num(frame, 'y')];
        const [x1, y1] = [x0 + num(frame, 'width'), y0 + num(frame, 'height')];
        const xs = findAll(panel, hasClass('line', 'tick')).filter((t) => t.attrs.class === 'tick x');
        const ys = findAll(panel, hasClass('line', 'tick')).filter((t) => t.attrs.class === 'tick y');
        expect(xs.length).toBeGreaterThan(1);
        expect(ys.length).toBeGreaterThan(1);
        for (const t of xs) {
          expect(num(t, 'x1')).toBeGreaterThanOrEqual(x0);
          expect(num(t, 'x1')).toBeLessThanOrEqual(x1);
        }
        for (const t of ys) {
          expect(num(t, 'y1')).toBeGreaterThanOrEqual(y0);
          expect(num(t, 'y1')).toBeLessThanOrEqual(y1);
        }
        for (const c of findAll(panel, (e) => e.name === 'circle')) {
          expect(num(c, 'cx')).toBeGreaterThanOrEqual(x0);
          expect(num(c, 'cx')).toBeLessThanOrEqual(x1);
          expect(num(c, 'cy')).toBeGreaterThanOrEqual(y0);
          expect(num(c, 'cy')).toBeLessThanOrEqual(y1);
        }
      }
      // The layout's own estimate of each unrotated text's extent stays in the drawing (the e2e test measures the real one).
      for (const t of findAll(svg, (e) => e.name === 'text' && !e.attrs.transform)) {
        const width = textWidth(t.text, num(t, 'font-size'));
        const left = num(t, 'x') - (t.attrs['text-anchor'] === 'end' ? width : t.attrs['text-anchor'] === 'middle' ? width / 2 : 0);
        expect(left, t.text).toBeGreaterThanOrEqual(0);
        expect(left + width, t.text).toBeLessThanOrEqual(w);
        expect(num(t, 'y')).toBeLessThanOrEqual(h);
      }
    }
  });

  test('the CSVs: one row per value and iteration (over-optimisation), per value and metric (knob, tax); means over seeds', () => {
    const [over, knob, tax] = drawn(PTX);
    const rows = (csv: string) =>
      csv
        .trimEnd()
        .split('\r\n')
        .map((l) => l.split(','));
    const o = rows(over.files.csv);
    expect(o[0]).toEqual([
      'value',
      'iteration',
      'seeds',
      'kl_mean',
      'rm_score_mean',
      'labeler_score_mean',
      'sqrt_kl_smoothed',
      'rm_score_smoothed',
      'labeler_score_smoothed',
    ]);
    expect(o).toHaveLength(1 + 2 * 20);
    const first = o.find((r) => r[0] === '0.01' && r[1] === '1')!;
    const logs = PTX.points[0].reports.map((r) => r.stages.ppo.log[0]);
    expect(Number(first[2])).toBe(3);
    expect(Number(first[4])).toBeCloseTo(logs.reduce((a, l) => a + l.reward, 0) / 3, 12);

    const k = rows(knob.files.csv);
    expect(k[0]).toEqual(['value', 'metric', 'seeds', 'mean', 'ci95_lo', 'ci95_hi', 'seed_101', 'seed_102', 'seed_103']);
    expect(k).toHaveLength(1 + 2 * 4);
    const win = k.find((r) => r[0] === '0.01' && r[1] === 'winrate_ppo_vs_sft')!;
    const wins = PTX.points[0].reports.map((r) => r.eval.winrate_ppo_vs_sft);
    expect(Number(win[3])).toBeCloseTo((wins[0] + wins[1] + wins[2]) / 3, 12);
    expect(win.slice(6).map(Number)).toEqual(wins);
    expect(Number(win[4])).toBeLessThan(Number(win[3]));

    const t = rows(tax.files.csv);
    expect(t).toHaveLength(1 + 2 * 3);
    const plain = t.find((r) => r[0] === '0' && r[1] === 'alignment_tax')!;
    const losses = PTX.points[1].reports.map((r) => r.eval.pretrain_loss.ppo - r.eval.pretrain_loss.sft);
    expect(Number(plain[3])).toBeCloseTo(losses.reduce((a, b) => a + b) / 3, 12);

    const json = JSON.parse(tax.files.json);
    expect(json.rows).toHaveLength(6);
    expect(json.sweep.key).toBe('ppo.ptxCoef');
    expect(json.caption).toBe(tax.plot.caption);
  });

  test('the captions name the interval: a t-interval over seeds (t = 4.30 for 3 seeds, 12.71 for 2)', () => {
    expect(sweepPlots(PTX)[1].caption).toContain('95% t-interval over seeds');
    expect(sweepPlots(PTX)[1].caption).toContain('t = 4.30 for 3 seeds');
    expect(sweepPlots(BETA)[1].caption).toContain('t = 12.71 for 2 seeds');
    expect(sweepPlots(PTX)[2].title).toBe('Alignment tax against γ_ptx');
    expect(sweepPlots(BETA)[2].title).toBe('Alignment tax against β (ppo.beta)');
  });
});

describe('strings from the file are escaped; an unfinished sweep draws what it has', () => {
  const hostile: SweepReport = structuredClone(BETA);
  hostile.task = '<script>alert(1)</script> & "co" \u0001';
  hostile.values = ['=HYPERLINK("x")', '<b>0.1</b>'];
  hostile.points[0].value = hostile.values[0];
  hostile.points[1].value = hostile.values[1];
  hostile.complete = false;
  hostile.points[1].reports = []; // its seeds have not run yet

  test('the SVG parses, the strings are text (no <script>, no <b>), the CSV cell is no formula', () => {
    for (const { files, svg } of drawn(hostile)) {
      expect(findAll(svg, (e) => e.name === 'script' || e.name === 'b')).toHaveLength(0);
      expect(files.svg).toContain('&lt;script&gt;');
      expect(files.svg).not.toContain('\u0001');
      expect(findAll(svg, (e) => e.name === 'text').some((t) => t.text.includes('<script>alert(1)</script> & "co"'))).toBe(true);
      expect(files.csv).not.toMatch(/^=/m);
    }
    const [over, knob] = drawn(hostile);
    expect(over.files.csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(curves(over.svg)).toBe(2); // the value with no runs has no curve
    expect(over.plot.caption).toContain('unfinished');
    // One value with runs: a marker per panel (and SFT's, no longer "the same at every value"), no line to draw.
    expect(curves(knob.svg)).toBe(0);
    expect(findAll(knob.svg, hasClass('circle', 'marker'))).toHaveLength(4);
  });
});
