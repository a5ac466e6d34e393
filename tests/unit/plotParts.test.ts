import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { knobAxis } from '../../src/plots/axes';
import { readSweep } from '../../src/plots/readSweep';
import { tInterval } from '../../src/plots/stats';
import { el, toSvgString } from '../../src/plots/svgTree';
import { toCsv } from '../../src/plots/table';
import { formatLogTick, formatNumber, niceTicks } from '../../src/plots/ticks';
import { wrapText, textWidth } from '../../src/plots/textWidth';
import { parseXml } from './xmlCheck';

describe('ticks', () => {
  test('nice steps cover the data and the frame ends on ticks', () => {
    expect(niceTicks(0.43, 0.61)).toEqual({ domain: [0.4, 0.65], ticks: [0.4, 0.45, 0.5, 0.55, 0.6, 0.65], decimals: 2 });
    expect(niceTicks(0, 1.43).ticks).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(-0.25, 0.85).ticks).toEqual([-0.5, 0, 0.5, 1]);
  });
  test('a constant is placed on a widened axis, not divided by zero', () => {
    const t = niceTicks(0.418, 0.418);
    expect(t.domain[0]).toBeLessThan(0.418);
    expect(t.domain[1]).toBeGreaterThan(0.418);
    expect(niceTicks(0, 0).ticks).toContain(0);
  });
  test('labels: a real minus sign, no "-0", log ticks as decimals or 1e−k', () => {
    expect(formatNumber(-0.5, 1)).toBe('\u22120.5');
    expect(formatNumber(-0.0001, 2)).toBe('0.00');
    expect(formatLogTick(0.001)).toBe('0.001');
    expect(formatLogTick(1e-4)).toBe('0.0001');
    expect(formatLogTick(1e-5)).toBe('1e\u22125');
    expect(formatLogTick(2e-5)).toBe('2e\u22125');
  });
});

describe('the knob axis', () => {
  const kind = (values: string[]) => knobAxis('x', values).kind;
  test('values spanning decades: log; with 0 among them: evenly spaced in numeric order; else linear; words: categories', () => {
    expect(kind(['1e-4', '1e-3', '1e-2'])).toBe('log');
    expect(kind(['0.01', '0.02', '0.05'])).toBe('linear');
    expect(kind(['0.01', '0'])).toBe('linear');
    expect(kind(['k1', 'k3'])).toBe('category');
    expect(kind(['0.02'])).toBe('category');
    const zero = knobAxis('β', ['0.1', '0', '0.01', '0.02', '0.05']);
    expect(zero.kind).toBe('category');
    expect(zero.axis.ticks.map((t) => t.label)).toEqual(['0', '0.01', '0.02', '0.05', '0.1']);
    expect(zero.axis.scale(zero.at('0'))).toBeLessThan(zero.axis.scale(zero.at('0.01')));
  });
  test('a log axis places every value inside it, ticks at 1-2-5 over few decades', () => {
    const k = knobAxis('lr', ['1e-4', '3e-4', '1e-3']);
    for (const v of ['1e-4', '3e-4', '1e-3']) {
      const at = k.axis.scale(k.at(v));
      expect(at).toBeGreaterThan(0);
      expect(at).toBeLessThan(1);
    }
    expect(k.axis.ticks.map((t) => t.label)).toEqual(['0.0001', '0.0002', '0.0005', '0.001']);
  });
});

describe('the 95% interval over seeds', () => {
  test('mean ± t(0.975, n−1)·s/√n; none from one seed', () => {
    const t = tInterval([0.611, 0.682, 0.672]);
    const sd = Math.sqrt(((0.611 - t.mean) ** 2 + (0.682 - t.mean) ** 2 + (0.672 - t.mean) ** 2) / 2);
    expect(t.hi - t.mean).toBeCloseTo((4.303 * sd) / Math.sqrt(3), 12);
    expect(Number.isNaN(tInterval([0.6]).lo)).toBe(true);
    expect(tInterval([0.6, NaN, 0.7]).n).toBe(2);
  });
});

describe('text, XML and CSV', () => {
  test('wrapping keeps every line within the width; a long word is cut', () => {
    const lines = wrapText('the labelers’ noise-free rubric score of the same rollouts', 11, 120);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 11)).toBeLessThanOrEqual(120);
    expect(wrapText('x'.repeat(50), 10, 60).every((l) => textWidth(l, 10) <= 60)).toBe(true);
  });
  test('escaping: the five characters as entities, characters XML forbids replaced', () => {
    const svg = toSvgString(el('svg', { width: 10, 'aria-label': `"<>&'` }, [el('text', { x: 1 }, '</text><script>a\u0000b\uD800c')]));
    expect(svg).toContain('aria-label="&quot;&lt;&gt;&amp;&apos;"');
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;a\uFFFDb\uFFFDc</text>');
    const root = parseXml(svg);
    expect(root.attrs['aria-label']).toBe(`"<>&'`);
    expect(root.children[0].text).toBe('</text><script>a\uFFFDb\uFFFDc');
    expect(() => toSvgString(el('svg', { 'on load': 'x' }))).toThrow();
  });
  test('the XML check itself refuses what is not well-formed', () => {
    for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>1 < 2</a>', '<a/><b/>', '<a x=1/>', '<a>']) {
      expect(() => parseXml(bad), bad).toThrow();
    }
  });
  test('CSV: quoted where needed, an empty cell for a missing number', () => {
    expect(
      toCsv({
        columns: ['a', 'b'],
        rows: [
          ['x,"y"', null],
          ['-0.5', NaN],
          ['@sum', 2],
        ],
      }),
    ).toBe('a,b\r\n"x,""y""",\r\n-0.5,\r\n\'@sum,2\r\n');
  });
});

describe('reading a sweep report', () => {
  const good = readFileSync('docs/runs/2026-12-05-test/test-instructions.json', 'utf8');
  test('a stored report reads; one written before "complete" existed counts as complete', () => {
    expect(readSweep(good).report?.points).toHaveLength(2);
    const old = readSweep(readFileSync('docs/runs/2026-12-04-dev/ins-s11-rmsweep.json', 'utf8'));
    expect(old.report?.complete).toBe(true);
  });
  test('what is wrong is said, naming the field', () => {
    expect(readSweep('{"kind": "sweep",').error).toMatch(/^The file is not valid JSON/);
    expect(readSweep('[1, 2]').error).toContain('the file should be a JSON object, but is a list');
    expect(readSweep(readFileSync('docs/runs/2026-12-05-dev/sen-s11-pre600.json', 'utf8')).error).toContain("one run's report, not a sweep's");
    const broken = JSON.parse(good);
    broken.points[1].reports[2].eval.winrate_ppo_vs_sft = 'high';
    expect(readSweep(JSON.stringify(broken)).error).toBe(
      'Not a sweep report the plots can read: points[1].reports[2].eval.winrate_ppo_vs_sft should be a number, but is the text "high".',
    );
    const short = JSON.parse(good);
    short.points.pop();
    expect(readSweep(JSON.stringify(short)).error).toContain('points should be one per value (2), but there are 1');
  });
  test('values written as numbers become the texts the plots label', () => {
    const numeric = JSON.parse(good);
    numeric.values = [0.01, 0];
    numeric.points.forEach((p: { value: unknown }, i: number) => (p.value = numeric.values[i]));
    expect(readSweep(JSON.stringify(numeric)).report?.values).toEqual(['0.01', '0']);
  });
});
