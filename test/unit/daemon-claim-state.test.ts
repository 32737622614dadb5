/**
 * Claims that are empty, junk, unreadable or dated in the future do not switch sharing off: they are
 * abandoned once the budget has passed (by the file's own time) and taken over by moving them aside,
 * so a claim made anew meanwhile is never removed.
 */
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeClaim, settleClaim } from '../../src/daemon/claim-state.js';
import { createNodeFileSystem } from '../../src/ports/node-ports.js';
import { createFakeFileSystem } from '../helpers/fake-ports.js';

const NOW = 1_700_000_000_000;
const BUDGET = 3000;
const alive = (pid: number) => pid === 42;

describe('judgeClaim', () => {
  it.each([
    ['nothing there', null, 'free'],
    ['a live holder, young', { text: '{"pid":42,"at":1699999999000}', modifiedAt: NOW - 1000 }, 'held'],
    [
      'a live holder past the budget',
      { text: `{"pid":42,"at":${NOW - 4000}}`, modifiedAt: NOW - 4000 },
      'abandoned',
    ],
    ['a dead holder', { text: `{"pid":7,"at":${NOW}}`, modifiedAt: NOW }, 'abandoned'],
    ['empty, young', { text: '', modifiedAt: NOW - 1000 }, 'unowned'],
    ['empty, past the budget', { text: '', modifiedAt: NOW - 4000 }, 'abandoned'],
    ['junk past the budget', { text: '\u0000{', modifiedAt: NOW - 4000 }, 'abandoned'],
    ['not a regular file, past the budget', { text: null, modifiedAt: NOW - 4000 }, 'abandoned'],
    [
      'dated in the future inside',
      { text: `{"pid":42,"at":${NOW + 3_600_000}}`, modifiedAt: NOW },
      'abandoned',
    ],
    [
      'made 3 ms after the reader looked at its clock (another process claiming meanwhile)',
      { text: `{"pid":42,"at":${NOW + 3}}`, modifiedAt: NOW + 3.7 },
      'held',
    ],
    [
      'a file time in the future',
      { text: `{"pid":42,"at":${NOW}}`, modifiedAt: NOW + 3_600_000 },
      'abandoned',
    ],
  ] as const)('%s: %s', (_name, file, expected) => {
    expect(judgeClaim(file, NOW, BUDGET, alive)).toBe(expected);
  });
});

describe('settleClaim over real files', () => {
  let store: string;
  beforeEach(async () => {
    store = join(await mkdtemp(join(tmpdir(), 'pm2-self-claim-')), 'pm2-self');
    await mkdir(store, { mode: 0o700 });
  });
  afterEach(async () => {
    await rm(join(store, '..'), { recursive: true, force: true });
  });

  it('a 0-byte claim left by a full disk is taken over once it is older than the budget', async () => {
    const fs = createNodeFileSystem();
    const claim = join(store, 'list-v1.json.lock');
    await writeFile(claim, '');
    expect(await settleClaim(fs, claim, Date.now(), BUDGET, alive)).toBe('unowned');
    const old = (Date.now() - 10_000) / 1000;
    await utimes(claim, old, old);
    expect(await settleClaim(fs, claim, Date.now(), BUDGET, alive)).toBe('abandoned');
    expect(await fs.createExclusive?.(claim, '{"pid":42,"at":1}')).toBe(true);
  });

  it('a claim dated in the future is taken over at once', async () => {
    const fs = createNodeFileSystem();
    const claim = join(store, 'list-v1.json.lock');
    await writeFile(claim, JSON.stringify({ pid: 42, at: Date.now() + 3_600_000 }));
    expect(await settleClaim(fs, claim, Date.now(), BUDGET, alive)).toBe('abandoned');
    expect(await fs.readText(claim)).toBeNull();
  });

  it('a claim made anew between the read and the take-over is put back, not removed', async () => {
    const fs = createNodeFileSystem();
    const claim = join(store, 'list-v1.json.lock');
    await writeFile(claim, '');
    const old = (Date.now() - 10_000) / 1000;
    await utimes(claim, old, old);
    const seen = await fs.readStamped?.(claim);
    await rm(claim);
    await writeFile(claim, '{"pid":42,"at":5}');
    expect(await fs.replaceAbandoned?.(claim, seen?.stamp ?? '')).toBe(false);
    expect(await readFile(claim, 'utf8')).toBe('{"pid":42,"at":5}');
  });

  it('without file times (a port with no readStamped), junk is abandoned and removed', async () => {
    const fs = createFakeFileSystem({ '/h/pm2-self/list-v1.json.lock': 'junk' });
    expect(await settleClaim(fs, '/h/pm2-self/list-v1.json.lock', NOW, BUDGET, alive)).toBe('abandoned');
    expect(fs.files.has('/h/pm2-self/list-v1.json.lock')).toBe(false);
  });
});
