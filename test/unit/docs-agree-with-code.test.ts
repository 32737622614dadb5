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
    const sources = (await Promise.all(['src/options.ts', 'src/create-pm2-self.ts'].map(read))).join('\n');
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

  it('the README names every function of the design card and documents the two commands first', async () => {
    const readme = await read('README.md');
    for (const name of [
      'getProcessName',
      'getStatus',
      'getInfo',
      'gracefulRestart',
      'hasPendingRestart',
      'clearPendingRestart',
    ]) {
      expect(readme).toContain(`\`${name}(`);
      expect(typeof (api as Record<string, unknown>)[name]).toBe('function');
    }
    const firstBlock = readme.slice(
      readme.indexOf('```sh'),
      readme.indexOf('```', readme.indexOf('```sh') + 5),
    );
    expect(firstBlock).toContain('npm ci && npm run demo');
    expect(firstBlock).toContain('npm ci && npm test');
  });
});
