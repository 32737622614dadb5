import { escapeControl } from './terminal-text.js';

/** The few styles the CLI uses. */
export type Style = 'plain' | 'bold' | 'dim' | 'green' | 'yellow' | 'red';

const CODES: Readonly<Record<Exclude<Style, 'plain'>, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
};

/** `raw` in `style` when colours are on, its control characters escaped; the text alone otherwise. Pure. */
export function paint(raw: string, style: Style, color: boolean): string {
  // App text never reaches the terminal raw (see terminal-text.ts).
  const text = escapeControl(raw);
  if (!color || style === 'plain' || text === '') return text;
  const [open, close] = CODES[style];
  return `\u001B[${open}m${text}\u001B[${close}m`;
}

/** The style of a pm2 status: green online, red stopped or errored, yellow in between. Pure. */
export function statusStyle(status: string): Style {
  if (status === 'online') return 'green';
  return status === 'stopped' || status === 'errored' ? 'red' : 'yellow';
}
