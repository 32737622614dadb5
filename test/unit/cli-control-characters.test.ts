/**
 * Text from apps reaches the operator's terminal with its control characters escaped: an app cannot
 * retitle (OSC), clear or recolour (CSI) the terminal, nor print a fake line. `--json` keeps the data.
 */
import { describe, expect, it } from 'vitest';
import { readAppInstances } from '../../src/cli/app-instances.js';
import { fit, wrap } from '../../src/cli/render-table.js';
import { statusJson, statusLines } from '../../src/cli/status-command.js';
import { paint } from '../../src/cli/style.js';
import { escapeControl, jsonForTerminal } from '../../src/cli/terminal-text.js';
import { OPERATOR_METRICS } from '../../src/operator/action-protocol.js';

const TITLE = '\u001b]0;owned\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const RED = '\u001b[31mFAKE: all instances back online\u001b[0m';
const C1 = '\u009b2J';
const HOSTILE = `${TITLE}${CLEAR}${RED}\r\n${C1}\u202eevil`;

/** Every escape sequence in `line` is one of the CLI's own styles. */
// eslint-disable-next-line no-control-regex -- the CLI's own SGR codes
const onlyOwnStyles = (line: string) => line.replace(/\u001b\[(?:1|2|22|31|32|33|39)m/g, '');
// eslint-disable-next-line no-control-regex -- what must never reach the terminal
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/;

const hostileInstance = () =>
  readAppInstances([
    {
      pid: 100,
      name: 'web',
      pm_id: 0,
      monit: {},
      pm2_env: {
        status: 'online',
        restart_time: 0,
        axm_actions: [{ action_name: 'pm2-self:restart' }],
        axm_monitor: {
          [OPERATOR_METRICS.state]: { value: `idle${RED}` },
          [OPERATOR_METRICS.tasks]: { value: 1 },
          [OPERATOR_METRICS.lastRestart]: { value: `label ${HOSTILE}` },
          [OPERATOR_METRICS.health]: { value: `failing since 14:01:30: ${HOSTILE}` },
        },
      },
    },
  ]) ?? [];

describe('pm2-self status with control sequences in app text', () => {
  it.each([false, true])('prints none of them (colour %s)', (color) => {
    const lines = statusLines(hostileInstance(), color);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(onlyOwnStyles(line)).not.toMatch(UNSAFE);
    expect(lines.join('\n')).toContain('\\x1b');
  });

  it('--json prints the data: it parses back to the very strings, with nothing raw on the terminal', () => {
    const data = hostileInstance().map(statusJson);
    const text = jsonForTerminal(data);
    expect(text.replaceAll('\n', '')).not.toMatch(UNSAFE);
    expect(JSON.parse(text)).toEqual(data);
  });

  it('replies and reasons painted or cut for a line are escaped too', () => {
    expect(onlyOwnStyles(paint(HOSTILE, 'red', true))).not.toMatch(UNSAFE);
    expect(paint(HOSTILE, 'plain', false)).not.toMatch(UNSAFE);
    expect(fit(HOSTILE, 59)).not.toMatch(UNSAFE);
    for (const line of wrap(`reason ${HOSTILE}`, 80, 4)) expect(line).not.toMatch(UNSAFE);
  });

  it('escapes are visible and idempotent; plain text is untouched', () => {
    expect(escapeControl('a\u001b[2Jb\u009bc\u0007')).toBe('a\\x1b[2Jb\\u009bc\\x07');
    expect(escapeControl(escapeControl(HOSTILE))).toBe(escapeControl(HOSTILE));
    expect(escapeControl('web-1 ↺ ünïcode')).toBe('web-1 ↺ ünïcode');
  });
});

describe('an app whose name holds control characters (pm2 start --name $"esc\\x1b[31mRED")', () => {
  const NAME = 'esc\u001b[31mRED';
  const listed = () =>
    readAppInstances([
      { pid: 100, name: NAME, pm_id: 0, monit: {}, pm2_env: { status: 'online', restart_time: 0 } },
      { pid: 101, name: 'web', pm_id: 1, monit: {}, pm2_env: { status: 'online', restart_time: 0 } },
    ]) ?? [];

  it('is listed, its name escaped in the table', () => {
    expect(listed().map((i) => i.entry.name)).toEqual([NAME, 'web']);
    const lines = statusLines(listed(), false);
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
    expect(lines.join('\n')).toContain('esc\\x1b[31');
  });

  it('--json prints the name as data', () => {
    const text = jsonForTerminal(listed().map(statusJson));
    expect(text.replaceAll('\n', '')).not.toMatch(UNSAFE);
    expect((JSON.parse(text) as Array<{ name: string }>).map((i) => i.name)).toEqual([NAME, 'web']);
  });
});
