import { paint, type Style } from './style.js';
import { escapeControl } from './terminal-text.js';

/** One cell: its text and how to paint it. */
export interface Cell {
  readonly text: string;
  readonly style?: Style;
}

/** The widest line the CLI prints. */
export const LINE_WIDTH = 80;

/** Cuts `raw` (its control characters escaped) to `width` characters, marking the cut with `~`. Pure. */
export function fit(raw: string, width: number): string {
  const text = escapeControl(raw);
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}

/**
 * Lays out rows under a header, columns two spaces apart, never wider than {@link LINE_WIDTH}: a
 * column gets the width of its widest cell, up to its `max`; the last one gets what is left. Pure.
 */
export function renderTable(
  columns: readonly { readonly title: string; readonly max: number }[],
  rows: readonly (readonly Cell[])[],
  color: boolean,
): string[] {
  const widths = columns.map((column, i) =>
    Math.min(column.max, Math.max(column.title.length, ...rows.map((row) => row[i]?.text.length ?? 0))),
  );
  const used = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
  widths[widths.length - 1] = Math.max(1, Math.min(widths.at(-1) ?? 0, LINE_WIDTH - used));
  const line = (cells: readonly Cell[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        const text = fit(cell.text, width);
        const padded = i === cells.length - 1 ? text : text.padEnd(width);
        return paint(padded, cell.style ?? 'plain', color);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => ({ text: c.title, style: 'bold' }))), ...rows.map(line)];
}

/**
 * Breaks `text` at spaces into lines of at most `width` characters (a longer word is cut), the
 * lines after the first indented by `indent` spaces. Pure.
 */
export function wrap(text: string, width: number, indent = 0): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of escapeControl(text).split(' ')) {
    const room = width - (lines.length === 0 ? 0 : indent);
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? fit(word, width - indent) : `${line} ${word}`;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`));
}
