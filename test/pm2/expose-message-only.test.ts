/**
 * exposeToPm2() changes nothing about when a process exits. An app whose only work is its own
 * `process.on('message')` listener stays up after exposeToPm2() (pm2-self's listener used to switch
 * the channel's reference count off for good), and an app that removes its own listener exits although
 * pm2-self still listens. Real pm2, fork mode; the exit case only under `pmx: false` (pm2's injected
 * @pm2/io keeps every app alive by itself).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type JlistEntry, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';

const APP = resolve(import.meta.dirname, '../apps/operator/message-only.cjs');
const DIST = resolve(import.meta.dirname, '../../dist/index.cjs');

describe('exposeToPm2 on an app whose only work is its message listener', () => {
  let sandbox: Pm2Sandbox;
  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-expose-');
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  const start = async (name: string, order: string, pmx: object) => {
    const eco = join(sandbox.home, `${name}.config.cjs`);
    const app = {
      name,
      script: APP,
      autorestart: false,
      env: { PM2SELF_DIST: DIST, ORDER: order, EVENTS_FILE: join(sandbox.home, `${name}.jsonl`) },
      ...pmx,
    };
    await writeFile(eco, `module.exports = { apps: [${JSON.stringify(app)}] };`);
    await sandbox.pm2(['start', eco]);
  };
  const events = async (name: string) =>
    (await readFile(join(sandbox.home, `${name}.jsonl`), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { event: string }).event);
  const entry = (list: JlistEntry[], name: string) => list.find((p) => p.name === name);

  it('stays online with 0 restarts 10 s after exposeToPm2() (with @pm2/io and pmx: false)', async () => {
    for (const variant of PMX_VARIANTS) await start(`keep${variant.suffix}`, 'expose-first', variant.pmx);
    await new Promise((r) => setTimeout(r, 10_000));
    const list = await sandbox.jlist();
    for (const variant of PMX_VARIANTS) {
      const name = `keep${variant.suffix}`;
      expect(entry(list, name)?.pm2_env.status, name).toBe('online');
      expect(entry(list, name)?.pm2_env.restart_time, name).toBe(0);
      expect(await events(name), name).toEqual(['started']);
    }
  });

  it('exits by itself once the app removed its own listener (pmx: false)', async () => {
    await start('leave-nopmx', 'app-first', { pmx: false });
    await sandbox.waitFor((list) => entry(list, 'leave-nopmx')?.pm2_env.status === 'stopped', 20_000);
    expect(await events('leave-nopmx')).toEqual(['started', 'listenerRemoved', 'exit 0']);
  });
});
