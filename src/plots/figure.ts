import { drawPanel, FONT, measurePanel, type Panel } from './panel';
import { el, type SvgNode } from './svgTree';
import { textWidth, wrapText } from './textWidth';

/**
 * A figure: a title, panels side by side, a legend and a caption, laid out from measured text
 * (textWidth.ts) so that nothing is clipped whatever the labels are. Everything is inside the
 * viewBox; the page scales it to its width.
 */
export interface LegendItem {
  label: string;
  colour: string;
  dash?: string;
}

interface Figure {
  title: string;
  width: number;
  panels: Panel[];
  legend: LegendItem[];
  caption: string;
  frameHeight?: number;
}

const PAD = 14;
const PANEL_GAP = 30;
const LINE = 1.3;
const SWATCH = 24;

export function drawFigure(f: Figure): SvgNode {
  const inner = f.width - 2 * PAD;
  const frameHeight = f.frameHeight ?? 240;
  const out: SvgNode[] = [];
  let y = PAD;

  for (const line of wrapText(f.title, FONT.title, inner)) {
    y += FONT.title * LINE;
    out.push(el('text', { x: PAD, y: y - FONT.title * 0.3, 'font-size': FONT.title, 'font-weight': 'bold', fill: '#111' }, line));
  }
  y += 8;

  const n = f.panels.length;
  const slotWidth = (inner - PANEL_GAP * (n - 1)) / n;
  const measures = f.panels.map((p) => measurePanel(p, slotWidth, frameHeight));
  const headerHeight = Math.max(...measures.map((m) => m.headerHeight));
  const bottom = Math.max(...measures.map((m) => m.bottom));
  f.panels.forEach((p, i) => {
    const x = PAD + i * (slotWidth + PANEL_GAP);
    out.push(drawPanel(p, measures[i], { x, width: slotWidth, top: y, frameTop: y + headerHeight, frameHeight }));
  });
  y += headerHeight + frameHeight + bottom + 12;

  if (f.legend.length) {
    const { nodes, height } = drawLegend(f.legend, PAD, y, inner);
    out.push(...nodes);
    y += height + 8;
  }
  for (const line of wrapText(f.caption, FONT.caption, inner)) {
    y += FONT.caption * LINE;
    out.push(el('text', { class: 'caption', x: PAD, y: y - FONT.caption * 0.3, 'font-size': FONT.caption, fill: '#444' }, line));
  }
  const height = Math.ceil(y + PAD);
  return el(
    'svg',
    {
      width: f.width,
      height,
      viewBox: `0 0 ${f.width} ${height}`,
      role: 'img',
      'font-family': 'Verdana, "DejaVu Sans", Arial, sans-serif',
    },
    [el('title', {}, f.title), el('desc', {}, f.caption), el('rect', { x: 0, y: 0, width: f.width, height, fill: '#ffffff' }), ...out],
  );
}

/** Legend entries flowing left to right, wrapping to new rows; a dashed swatch for a dashed line. */
function drawLegend(items: LegendItem[], x0: number, y0: number, width: number): { nodes: SvgNode[]; height: number } {
  const row = FONT.legend * 1.6;
  const nodes: SvgNode[] = [];
  let x = x0;
  let y = y0;
  for (const item of items) {
    const lines = wrapText(item.label, FONT.legend, width - SWATCH - 6);
    // A label wider than the whole figure (a very long value name) is cut, and says so with an ellipsis.
    const label = lines.length > 1 ? `${lines[0].slice(0, -1)}…` : (lines[0] ?? '');
    const w = SWATCH + 6 + textWidth(label, FONT.legend);
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += row;
    }
    const mid = y + row / 2;
    nodes.push(el('line', { class: 'swatch', x1: x, x2: x + SWATCH, y1: mid, y2: mid, stroke: item.colour, 'stroke-width': 3, 'stroke-dasharray': item.dash }));
    nodes.push(el('text', { x: x + SWATCH + 6, y: mid + FONT.legend * 0.35, 'font-size': FONT.legend, fill: '#222' }, label));
    x += w + 18;
  }
  return { nodes: [el('g', { class: 'legend' }, nodes)], height: y + row - y0 };
}
