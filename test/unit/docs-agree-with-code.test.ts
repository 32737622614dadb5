import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/common/defaults.js';
import { ERROR_MESSAGES } from '../../src/common/errors.js';
import * as api from '../../src/index.js';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFile(resolve(root, path), 'utf8');

describe('docs agree with code', () => {
  it('every @defaultValue that cites DEFAULTS states the value DEFAULTS holds', async () => {
    const sources = (
      await Promise.all(['src/options.ts', 'src/create-pm2-self.ts', 'src/pm2-self.ts'].map(read))
    ).join('\n');
    const cited = [...sources.matchAll(/@defaultValue `([^`]+)` \(DEFAULTS\.(\w+)\)/g)];
    expect(cited.length).toBeGreaterThanOrEqual(8);
    for (const [, shown, key] of cited) {
      const value = (DEFAULTS as Record<string, unknown>)[key as string];
      expect(value, `DEFAULTS.${key}`).toBeDefined();
      expect(shown, `DEFAULTS.${key}`).toBe(typeof value === 'string' ? `'${value}'` : String(value));
    }
  });

  it('docs/errors.md lists exactly the codes of the catalogue', async () => {
    const doc = await read('docs/errors.md');
    const documented = new Set([...doc.matchAll(/`(ERR_PM2SELF_\w+)`/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(ERROR_MESSAGES).sort());
  });

  it('the README names every exported function', async () => {
    const readme = await read('README.md');
    const functions = Object.entries(api)
      .filter(([, value]) => typeof value === 'function' && !/^[A-Z]/.test(value.name))
      .map(([name]) => name);
    expect(functions).toEqual(expect.arrayContaining(['getProcessName', 'gracefulRestart', 'runTask']));
    const missing = functions.filter(
      (name) => !readme.includes(`\`${name}(`) && !readme.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });

  it('the README lists every restart event and every outcome status', async () => {
    const readme = await read('README.md');
    const events = await read('src/restart/events.ts');
    const names = [...events.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(11);
    for (const name of names) expect(readme).toContain(`| \`${name}\` |`);
    const outcome = await read('src/restart/restart-outcome.ts');
    const statuses = [...outcome.matchAll(/status: '(\w+)'/g)].map((m) => m[1]);
    expect(statuses.length).toBe(6);
    for (const status of statuses) expect(readme).toContain(`| \`${status}\` |`);
  });
});
