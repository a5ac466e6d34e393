import type { Axis } from './axes';
import { el, type SvgNode } from './svgTree';
import { textWidth, wrapText } from './textWidth';

/** One chart of a figure: a frame with two axes, its curves, and notes above it. */

export interface Series {
  /** the legend's words for it (figure.ts draws the legend) */
  label: string;
  colour: string;
  /** in axis data units, in drawing order; lo/hi: a 95% interval (whisker), left out or NaN for none */
  points: { x: number; y: number; lo?: number; hi?: number }[];
  markers?: boolean;
  dash?: string;
  /** per-seed values, drawn as faint dots behind the curve */
  dots?: { x: number; y: number }[];
  /** a point to ring (the peak of a gold curve) */
  ring?: { x: number; y: number };
}

/** A horizontal reference line (0.5 win rate, SFT's score, zero tax); its label goes in the notes. */
interface RefLine {
  y: number;
  colour: string;
}

export interface Panel {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  refs?: RefLine[];
  /** short sentences shown under the title: a constant's value, what a dashed line is */
  notes?: string[];
}

export const FONT = { title: 15, panelTitle: 13, axisTitle: 12, tick: 11, note: 11, legend: 12, caption: 11 };
const LINE = 1.3; // line height, in font sizes
const TICK = 4;
const GAP = 5; // between a tick and its label, a label and the axis title
const INSET = 10; // data never sits on the frame: the axes map into the frame less this margin
const ROTATE = 35; // degrees, for x labels too wide to sit side by side

/** How much room a panel needs around its frame, worked out before anything is placed. */
interface PanelMeasure {
  header: string[][]; // title lines, then note lines
  headerHeight: number;
  left: number;
  right: number;
  bottom: number;
  yTitleLines: string[];
  xTitleLines: string[];
  rotateX: boolean;
}

export function measurePanel(p: Panel, slotWidth: number, frameHeight: number): PanelMeasure {
  const yTitleLines = wrapText(p.y.title, FONT.axisTitle, frameHeight);
  const yLabels = Math.max(0, ...p.y.ticks.map((t) => textWidth(t.label, FONT.tick)));
  const left = yTitleLines.length * FONT.axisTitle * LINE + GAP + yLabels + TICK + GAP;
  const xLabels = p.x.ticks.map((t) => textWidth(t.label, FONT.tick));
  // Half of the last x label may reach beyond the frame's right edge (less the inset).
  const lastHalf = p.x.ticks.length ? xLabels[xLabels.length - 1] / 2 - INSET : 0;
  const frameWidth = slotWidth - left - Math.max(8, lastHalf);
  const spacing = p.x.ticks.length > 1 ? (frameWidth - 2 * INSET) * minGap(p.x) : Infinity;
  const rotateX = Math.max(0, ...xLabels) + 6 > spacing;
  const right = rotateX ? 8 : Math.max(8, lastHalf);
  const sin = Math.sin((ROTATE * Math.PI) / 180);
  const labelHeight = rotateX ? Math.max(...xLabels) * sin + FONT.tick : FONT.tick;
  const xTitleLines = wrapText(p.x.title, FONT.axisTitle, slotWidth - left - right);
  const bottom = TICK + GAP + labelHeight + GAP + xTitleLines.length * FONT.axisTitle * LINE;
  const header = [wrapText(p.title, FONT.panelTitle, slotWidth), ...(p.notes ?? []).map((n) => wrapText(n, FONT.note, slotWidth))];
  const headerHeight = header.reduce((h, lines, i) => h + lines.length * (i === 0 ? FONT.panelTitle : FONT.note) * LINE, 0) + GAP;
  return { header, headerHeight, left, right, bottom, yTitleLines, xTitleLines, rotateX };
}

/** The smallest distance between neighbouring ticks, as a share of the axis. */
function minGap(a: Axis): number {
  const at = a.ticks.map((t) => a.scale(t.value)).sort((x, y) => x - y);
  let gap = 1;
  for (let i = 1; i < at.length; i++) gap = Math.min(gap, at[i] - at[i - 1]);
  return gap;
}

/** A slot of the figure: its left edge and width, the top of its header and of the frame. */
interface Slot {
  x: number;
  width: number;
  top: number;
  frameTop: number;
  frameHeight: number;
}

export function drawPanel(p: Panel, m: PanelMeasure, s: Slot): SvgNode {
  const fx = s.x + m.left;
  const fw = s.width - m.left - m.right;
  const fy = s.frameTop;
  const fh = s.frameHeight;
  const px = (v: number) => fx + INSET + p.x.scale(v) * (fw - 2 * INSET);
  const py = (v: number) => fy + fh - INSET - p.y.scale(v) * (fh - 2 * INSET);
  const out: SvgNode[] = [];

  // header: the title, then each note
  let y = s.top;
  m.header.forEach((lines, i) => {
    const size = i === 0 ? FONT.panelTitle : FONT.note;
    for (const line of lines) {
      y += size * LINE;
      out.push(el('text', { x: s.x, y: y - size * 0.3, 'font-size': size, 'font-weight': i === 0 ? 'bold' : undefined, fill: '#222' }, line));
    }
  });

  out.push(el('rect', { class: 'frame', x: fx, y: fy, width: fw, height: fh, fill: 'none', stroke: '#999' }));
  for (const t of p.y.ticks) {
    const ty = py(t.value);
    out.push(el('line', { class: 'grid', x1: fx, x2: fx + fw, y1: ty, y2: ty, stroke: '#e6e6e6' }));
    out.push(el('line', { class: 'tick y', x1: fx - TICK, x2: fx, y1: ty, y2: ty, stroke: '#999' }));
    out.push(el('text', { x: fx - TICK - GAP, y: ty + FONT.tick * 0.35, 'font-size': FONT.tick, 'text-anchor': 'end', fill: '#333' }, t.label));
  }
  const labelTop = fy + fh + TICK + GAP;
  for (const t of p.x.ticks) {
    const tx = px(t.value);
    out.push(el('line', { class: 'tick x', x1: tx, x2: tx, y1: fy + fh, y2: fy + fh + TICK, stroke: '#999' }));
    const ty = labelTop + FONT.tick * 0.8;
    out.push(
      m.rotateX
        ? el('text', { x: tx, y: ty, 'font-size': FONT.tick, 'text-anchor': 'end', transform: `rotate(-${ROTATE} ${tx} ${ty})`, fill: '#333' }, t.label)
        : el('text', { x: tx, y: ty, 'font-size': FONT.tick, 'text-anchor': 'middle', fill: '#333' }, t.label),
    );
  }
  let ty = s.frameTop + fh + m.bottom - m.xTitleLines.length * FONT.axisTitle * LINE;
  for (const line of m.xTitleLines) {
    ty += FONT.axisTitle * LINE;
    out.push(el('text', { x: fx + fw / 2, y: ty - FONT.axisTitle * 0.3, 'font-size': FONT.axisTitle, 'text-anchor': 'middle', fill: '#222' }, line));
  }
  m.yTitleLines.forEach((line, i) => {
    const tx = s.x + (i + 1) * FONT.axisTitle * LINE - FONT.axisTitle * 0.3;
    const cy = fy + fh / 2;
    out.push(el('text', { x: tx, y: cy, 'font-size': FONT.axisTitle, 'text-anchor': 'middle', transform: `rotate(-90 ${tx} ${cy})`, fill: '#222' }, line));
  });

  for (const r of p.refs ?? []) {
    out.push(el('line', { class: 'ref', x1: fx, x2: fx + fw, y1: py(r.y), y2: py(r.y), stroke: r.colour, 'stroke-dasharray': '5 4' }));
  }
  for (const series of p.series) out.push(...drawSeries(series, px, py));
  return el('g', { class: 'panel' }, out);
}

/** A curve: faint per-seed dots, whiskers, the line (ONE path, broken where a value is missing), markers. */
function drawSeries(s: Series, px: (v: number) => number, py: (v: number) => number): SvgNode[] {
  const out: SvgNode[] = [];
  for (const d of s.dots ?? []) {
    if (Number.isFinite(d.x) && Number.isFinite(d.y))
      out.push(el('circle', { class: 'seed', cx: px(d.x), cy: py(d.y), r: 2.5, fill: s.colour, 'fill-opacity': 0.35 }));
  }
  const ok = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
  for (const q of ok) {
    if (q.lo === undefined || q.hi === undefined || !Number.isFinite(q.lo) || !Number.isFinite(q.hi)) continue;
    const x = px(q.x);
    for (const [x1, x2, y1, y2] of [
      [x, x, py(q.lo), py(q.hi)],
      [x - 4, x + 4, py(q.lo), py(q.lo)],
      [x - 4, x + 4, py(q.hi), py(q.hi)],
    ]) {
      out.push(el('line', { class: 'ci', x1, x2, y1, y2, stroke: s.colour, 'stroke-width': 1.2 }));
    }
  }
  let d = '';
  let pen = false;
  for (const q of s.points) {
    const finite = Number.isFinite(q.x) && Number.isFinite(q.y);
    if (finite) d += `${pen ? 'L' : 'M'}${px(q.x).toFixed(2)} ${py(q.y).toFixed(2)} `;
    pen = finite;
  }
  // A lone point is its marker; a path of one M would draw nothing.
  if (d.includes('L')) {
    out.push(
      el('path', { class: 'curve', d: d.trim(), fill: 'none', stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': s.dash, 'stroke-linejoin': 'round' }),
    );
  }
  if (s.markers) for (const q of ok) out.push(el('circle', { class: 'marker', cx: px(q.x), cy: py(q.y), r: 3.5, fill: s.colour }));
  if (s.ring && Number.isFinite(s.ring.x) && Number.isFinite(s.ring.y)) {
    out.push(el('circle', { class: 'peak', cx: px(s.ring.x), cy: py(s.ring.y), r: 6, fill: 'none', stroke: s.colour, 'stroke-width': 1.5 }));
  }
  return out;
}
