/**
 * The releases the real-pm2 suites run are the ones installed, pinned exactly in package.json, and
 * inside the range pm2-self supports.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPm2Version, SUPPORTED_PM2 } from '../../src/pm2/pm2-version.js';
import { DEFAULT_PM2_RELEASE, PM2_RELEASES } from '../helpers/pm2-releases.js';

const root = resolve(import.meta.dirname, '../..');
const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

describe('installed pm2 releases', () => {
  it('are 7.0.4 (the default), 6.0.14 and 5.4.3, each once', () => {
    expect(PM2_RELEASES.map((release) => release.version)).toEqual(['7.0.4', '6.0.14', '5.4.3']);
    expect(DEFAULT_PM2_RELEASE.version).toBe('7.0.4');
    expect(new Set(PM2_RELEASES.map((release) => release.bin)).size).toBe(PM2_RELEASES.length);
  });

  it.each(PM2_RELEASES)('$label: the installed package is that version, pinned exactly', async (release) => {
    const pkg = await readJson(resolve(dirname(release.bin), '..', 'package.json'));
    expect(pkg.name).toBe('pm2');
    expect(pkg.version).toBe(release.version);
    const dev = (await readJson(resolve(root, 'package.json'))).devDependencies as Record<string, string>;
    const folder = release.bin.split(/[\\/]/).at(-3) as string;
    expect(dev[folder]).toBe(folder === 'pm2' ? release.version : `npm:pm2@${release.version}`);
  });

  it.each(PM2_RELEASES)('$label is inside the supported range', (release) => {
    expect(checkPm2Version(release.version)).toEqual({ ok: true, version: release.version });
  });

  it('the README and docs/compatibility.md state the supported range and the tested releases', async () => {
    for (const doc of ['README.md', 'docs/compatibility.md']) {
      const text = await readFile(resolve(root, doc), 'utf8');
      expect(text, doc).toContain(`\`${SUPPORTED_PM2.range}\``);
      for (const release of PM2_RELEASES) expect(text, doc).toContain(release.version);
    }
  });
});
