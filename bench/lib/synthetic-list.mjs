/**
 * A synthetic `pm2 jlist` of 200 processes with realistic environment sizes (~1.2 MB of JSON), built
 * by cloning the entries of test/fixtures/jlist/full.json (recorded from pm2 7.0.4) and growing
 * their environment blocks: pm2 keeps every variable twice, flattened in `pm2_env` and under
 * `pm2_env.env`, so both grow. Deterministic (seeded), unique pm_ids and pids, all `online`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './common.mjs';

export const SELF_PM_ID = 137;
export const SELF_PID = 4_000_137;
export const SELF_NAME = 'self-app';

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIXES = [
  'npm_config_',
  'npm_package_',
  'APP_',
  'DB_',
  'REDIS_',
  'AWS_',
  'OTEL_',
  'FEATURE_',
  'LOG_',
  'HTTP_',
];

export function buildSyntheticList({ count = 200, totalBytes = 1_200_000, seed = 42 } = {}) {
  const base = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'jlist', 'full.json'), 'utf8'));
  const random = prng(seed);
  const word = (n) =>
    Array.from(
      { length: n },
      () => 'abcdefghijklmnopqrstuvwxyz0123456789/_-.:'[Math.floor(random() * 41)],
    ).join('');
  const perEntry = totalBytes / count;
  const list = [];
  for (let i = 0; i < count; i++) {
    const entry = JSON.parse(JSON.stringify(base[i % base.length]));
    entry.pm_id = i;
    entry.name = i === SELF_PM_ID ? SELF_NAME : `${entry.name}-${i}`;
    entry.pid = i === SELF_PM_ID ? SELF_PID : 3_000_000 + i;
    entry.pm2_env.pm_id = i;
    entry.pm2_env.name = entry.name;
    entry.pm2_env.status = 'online';
    entry.pm2_env.env = entry.pm2_env.env ?? {};
    for (let k = 0; JSON.stringify(entry).length < perEntry; k++) {
      const key = `${PREFIXES[k % PREFIXES.length]}${word(6 + Math.floor(random() * 10))
        .replace(/[^a-z0-9]/g, 'x')
        .toUpperCase()}_${k}`;
      const value = word(20 + Math.floor(random() * 80));
      entry.pm2_env[key] = value;
      entry.pm2_env.env[key] = value;
    }
    list.push(entry);
  }
  const text = JSON.stringify(list);
  return { list, text, bytes: Buffer.byteLength(text) };
}
