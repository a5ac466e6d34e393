import type { SvgNode } from './svgTree';

/** A plot's data as a table: the numbers drawn, one row per drawn point, for CSV and JSON downloads. */
export interface DataTable {
  columns: string[];
  rows: (string | number | null)[][];
}

/** A finished plot: the drawing, the numbers behind it and what it shows in words. */
export interface Plot {
  /** file-name part: <sweep>-<id>.svg */
  id: 'overoptimisation' | 'knob' | 'tax';
  title: string;
  caption: string;
  svg: SvgNode;
  table: DataTable;
}

/**
 * RFC 4180 CSV. Numbers keep full precision (null, e.g. a missing interval, is an empty cell). A text
 * cell that a spreadsheet would run as a formula (=, +, -, @ first) and is not a number gets a
 * leading apostrophe: a value name in an opened file must not become a formula in someone's sheet.
 */
export function toCsv(table: DataTable): string {
  const cell = (v: string | number | null): string => {
    if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
    if (typeof v === 'number') return String(v);
    const text = /^[=+\-@\t\r]/.test(v) && !Number.isFinite(Number(v)) ? `'${v}` : v;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [table.columns, ...table.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** The plot's data as JSON: what it is (title, caption, the sweep's identity) and one object per row. */
export function toJson(plot: Plot, sweep: Record<string, unknown>): string {
  const rows = plot.table.rows.map((row) =>
    Object.fromEntries(plot.table.columns.map((c, i) => [c, typeof row[i] === 'number' && !Number.isFinite(row[i]) ? null : row[i]])),
  );
  return JSON.stringify({ plot: plot.id, title: plot.title, caption: plot.caption, sweep, rows }, null, 2) + '\n';
}
