#!/usr/bin/env node
// Records real pm2 outputs as test fixtures under test/fixtures/.
//
//   node scripts/record-fixtures.mjs
//
// Everything runs against a private, throw-away PM2_HOME (mkdtemp under os.tmpdir()); the daemon
// started there is always killed and the home removed at the end, even on failure. A second
// brand-new home is used once to capture the first-run banner, and is cleaned up the same way.
// The user's own ~/.pm2 (or $PM2_HOME) is never touched.
//
// Host environment variables are scrubbed from every fixture (see scrubEnv); SECRET_TOKEN is kept on
// purpose: tests assert that the library never leaks it.

import { execa } from 'execa';
import { cp, mkdtemp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PM2_BIN = path.join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const PM2_VERSION = JSON.parse(
  await readFile(path.join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8'),
).version;
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const SECRET = 'sk-live-DO-NOT-LEAK-123';
const FAKE_DAEMON_VERSION = '6.0.5';

const log = (...a) => console.error('[record-fixtures]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Environment: the recorder's env minus anything pm2 may have put there (in case this script is
// itself run under pm2, or from a shell with PM2_HOME set).
// ---------------------------------------------------------------------------------------------
const PM2_APP_KEYS = new Set([
  'name',
  'pm_id',
  'namespace',
  'exec_mode',
  'instances',
  'instance_var',
  'NODE_APP_INSTANCE',
  'autorestart',
  'restart_time',
  'unstable_restarts',
  'created_at',
  'unique_id',
  'status',
  'exit_code',
  'kill_timeout',
  'min_uptime',
  'max_restarts',
  'restart_delay',
  'exp_backoff_restart_delay',
  'listen_timeout',
  'wait_ready',
  'shutdown_with_message',
  'stop_exit_codes',
  'pm2_env',
  'OVER_HOME',
  'SILENT',
  'NODE_UNIQUE_ID',
  'vizion',
  'treekill',
  'automation',
  'pmx',
  'watch',
  'merge_logs',
  'username',
  'windowsHide',
  'env',
  'args',
  'node_args',
  'interpreter',
  'interpreter_args',
  'exec_interpreter',
  'axm_actions',
  'axm_monitor',
  'axm_options',
  'axm_dynamic',
  'km_link',
  'vizion_running',
  'version',
  'node_version',
  'filter_env',
  'instance_id',
  'cron_restart',
  'time',
  'disable_logs',
  'SECRET_TOKEN',
]);
const isPm2Key = (k) =>
  /^pm2?_/i.test(k) || k.startsWith('_pm2') || k.startsWith('NODE_CHANNEL_') || PM2_APP_KEYS.has(k);

const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !isPm2Key(k)));
// Keys that came from the machine, not from pm2: dropped from every fixture.
const HOST_KEYS = new Set(Object.keys(cleanEnv));
// Process-specific vars that bash sets in the wrapped child although the recorder may lack them.
for (const k of ['PWD', 'OLDPWD', 'SHLVL', '_']) HOST_KEYS.add(k);

function scrubEnv(env) {
  if (!env || typeof env !== 'object') return env;
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (k === 'SECRET_TOKEN' || !HOST_KEYS.has(k)) out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// pm2 runner (async execa only; no *Sync child_process anywhere)
// ---------------------------------------------------------------------------------------------
// Every home is `<mkdtemp dir>/.pm2`, so a command can reach it either through PM2_HOME or, like a
// user without PM2_HOME, through HOME (viaHome). That matters: pm2's colour library (ansis) turns
// ANSI colours on whenever PM2_HOME is set in the env, even when stdout is a pipe.
function pm2(home, args, { extraEnv = {}, cwd, timeout = 60_000, viaHome = false, bin = PM2_BIN } = {}) {
  const env = viaHome
    ? { ...cleanEnv, HOME: path.dirname(home), ...extraEnv }
    : { ...cleanEnv, PM2_HOME: home, ...extraEnv };
  return execa(process.execPath, [bin, ...args], {
    cwd: cwd ?? home,
    env,
    extendEnv: false,
    stripFinalNewline: false,
    maxBuffer: 64 * 1024 * 1024,
    reject: true,
    timeout,
  });
}

async function newHome(prefix) {
  const base = await mkdtemp(path.join(os.tmpdir(), prefix));
  const home = path.join(base, '.pm2');
  await mkdir(home);
  return home;
}

// Kills the daemon of this private home (if there are traces of one) and deletes the home.
async function disposeHome(home, bin = PM2_BIN) {
  if (!home) return;
  try {
    if (existsSync(path.join(home, 'pm2.pid')) || existsSync(path.join(home, 'rpc.sock'))) {
      // `pm2 kill` against a home with no live daemon would spawn one first; only run it when
      // there are traces of a daemon in this home.
      await pm2(home, ['kill', '-s'], { timeout: 30_000, bin });
    }
  } catch (err) {
    log(`pm2 kill failed for ${home}: ${err.shortMessage ?? err.message}`);
    // Last resort: the daemon pid named by this private home only.
    try {
      const pid = Number((await readFile(path.join(home, 'pm2.pid'), 'utf8')).trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* nothing left to kill */
    }
  }
  await rm(path.dirname(home), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// App sources written into the private home
// ---------------------------------------------------------------------------------------------
const SNAPSHOT_FN = String.raw`
function snapshot(file) {
  const fs = require('fs');
  let pidFile = null;
  try { pidFile = process.env.pm_pid_path ? fs.readFileSync(process.env.pm_pid_path, 'utf8') : null; } catch { pidFile = null; }
  const data = JSON.stringify({ pid: process.pid, ppid: process.ppid, env: process.env, pidFile });
  fs.writeFileSync(file + '.tmp', data);
  fs.renameSync(file + '.tmp', file);
}`;

function appSource(snapDir) {
  return `'use strict';
const path = require('path');
const { spawn } = require('child_process');
${SNAPSHOT_FN}
const SNAP_DIR = ${JSON.stringify(snapDir)};
snapshot(path.join(SNAP_DIR, process.env.name + '-' + process.env.NODE_APP_INSTANCE + '.json'));

if (process.env.name === 'fork-app') {
  // A direct child of the app: it only inherited the env (its ppid IS the tracked pid).
  const childCode = ${JSON.stringify(`${SNAPSHOT_FN}\nsnapshot(${JSON.stringify(path.join(snapDir, 'direct-child.json'))});`)};
  spawn(process.execPath, ['-e', childCode], { stdio: 'ignore' });
  // A grandchild (app -> node -e -> node -e): neither its pid nor its ppid is the tracked pid.
  const grandCode = ${JSON.stringify(`${SNAPSHOT_FN}\nsnapshot(${JSON.stringify(path.join(snapDir, 'grandchild.json'))});`)};
  const middleCode = 'const { spawn } = require("child_process");' +
    'const c = spawn(process.execPath, ["-e", ' + JSON.stringify(grandCode) + '], { stdio: "ignore" });' +
    'c.on("exit", (code) => process.exit(code ?? 0));';
  spawn(process.execPath, ['-e', middleCode], { stdio: 'ignore' });
}
setInterval(() => {}, 60_000);
`;
}

function wrappedChildSource(snapDir) {
  return `'use strict';
const path = require('path');
${SNAPSHOT_FN}
snapshot(path.join(${JSON.stringify(snapDir)}, 'wrapped-app-child.json'));
setInterval(() => {}, 60_000);
`;
}

// No `exec`: bash stays the tracked process and node is its child. The trailing `exit` also keeps
// bash from optimising the last command into an exec.
const START_SH = `#!/usr/bin/env bash
cd "$(dirname "$0")"
node child.js
exit $?
`;

function ecosystemSource(appPath) {
  const common = {
    script: appPath,
    autorestart: false,
    stop_exit_codes: [0, 7],
    min_uptime: 2000,
    kill_timeout: 3000,
    max_restarts: 5,
    restart_delay: 100,
    env: { SECRET_TOKEN: SECRET },
  };
  return `module.exports = ${JSON.stringify(
    {
      apps: [
        { name: 'eco-fork', exec_mode: 'fork', ...common },
        { name: 'eco-cluster', exec_mode: 'cluster', instances: 1, ...common },
      ],
    },
    null,
    2,
  )};\n`;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
const EXPECTED_APPS = ['fork-app', 'cluster-app', 'cluster-app', 'wrapped-app', 'eco-fork', 'eco-cluster'];
const SNAPSHOTS = {
  'fork.json': 'fork-app-0.json',
  'cluster-0.json': 'cluster-app-0.json',
  'cluster-1.json': 'cluster-app-1.json',
  'wrapped-child.json': 'wrapped-app-child.json',
  'grandchild.json': 'grandchild.json',
  'direct-child.json': 'direct-child.json',
  'eco-fork.json': 'eco-fork-0.json',
  'eco-cluster.json': 'eco-cluster-0.json',
};

async function waitForAll(home, snapDir) {
  const deadline = Date.now() + 45_000;
  let last = '';
  while (Date.now() < deadline) {
    const { stdout } = await pm2(home, ['jlist', '-s']);
    let list = [];
    try {
      list = JSON.parse(stdout);
    } catch {
      /* retry */
    }
    const online = list
      .filter((p) => p.pm2_env?.status === 'online' && p.pid > 0)
      .map((p) => p.name)
      .sort();
    const have = existsSync(snapDir) ? await readdir(snapDir) : [];
    const missing = Object.values(SNAPSHOTS).filter((f) => !have.includes(f));
    last = `online=${JSON.stringify(online)} missingSnapshots=${JSON.stringify(missing)}`;
    if (JSON.stringify(online) === JSON.stringify([...EXPECTED_APPS].sort()) && missing.length === 0) return;
    await sleep(300);
  }
  throw new Error(`timed out waiting for apps: ${last}`);
}

// eslint-disable-next-line no-control-regex -- matching ANSI escape codes is the point
const stripAnsi = (t) => t.replace(/\x1b\[[0-9;]*m/g, '');

// Everything pm2 prints before the JSON of `pm2 jlist` (no -s) against a brand-new home: the first-run
// banner and the "Spawning PM2 daemon" lines. The daemon it spawns there is killed right after.
async function captureBanner({ viaHome }) {
  const home = await newHome('pm2-self-banner-');
  try {
    const { stdout } = await pm2(home, ['jlist'], { viaHome });
    if (!stdout.endsWith('[]')) throw new Error(`unexpected first-run jlist output:\n${stdout}`);
    const banner = stdout.slice(0, -2);
    if (!stripAnsi(banner).includes(`Spawning PM2 daemon with pm2_home=${home}`)) {
      throw new Error(`first-run output lacks the spawning notice:\n${banner}`);
    }
    return { banner, home };
  } finally {
    await disposeHome(home);
  }
}

// The real "In-memory PM2 is out-of-date" warning: a copy of the installed pm2 whose package.json
// claims FAKE_DAEMON_VERSION runs a daemon in a private home, and the real CLI runs `pm2 jlist`
// (no -s) against it. Dependencies of the copy are symlinks to this repo's node_modules.
async function captureOutOfDate() {
  const fakeRoot = await mkdtemp(path.join(os.tmpdir(), 'pm2-self-oldpm2-'));
  const fakePm2 = path.join(fakeRoot, 'node_modules', 'pm2');
  const fakeBin = path.join(fakePm2, 'bin', 'pm2');
  let home;
  try {
    await cp(path.join(ROOT, 'node_modules', 'pm2'), fakePm2, { recursive: true });
    for (const dep of await readdir(path.join(ROOT, 'node_modules'))) {
      if (dep === 'pm2' || dep.startsWith('.')) continue;
      await symlink(path.join(ROOT, 'node_modules', dep), path.join(fakeRoot, 'node_modules', dep));
    }
    const pj = path.join(fakePm2, 'package.json');
    await writeFile(
      pj,
      JSON.stringify({ ...JSON.parse(await readFile(pj, 'utf8')), version: FAKE_DAEMON_VERSION }, null, 2),
    );

    home = await newHome('pm2-self-outofdate-');
    await pm2(home, ['ping', '-s'], { bin: fakeBin });
    const expected =
      '\n>>>> In-memory PM2 is out-of-date, do:\n>>>> $ pm2 update\n' +
      `In memory PM2 version: ${FAKE_DAEMON_VERSION}\nLocal PM2 version: ${PM2_VERSION}\n\n`;
    const grab = async (viaHome) => {
      // The warning is printed from an async getVersion callback racing the jlist RPC and the CLI's
      // exit: now and then it is missing altogether (about 1 run in 40 here). Retry until it precedes the JSON.
      const seen = [];
      for (let i = 0; i < 20; i++) {
        const { stdout } = await pm2(home, ['jlist'], { viaHome });
        if (stdout.endsWith('[]') && stdout.length > 2) {
          const warning = stdout.slice(0, -2);
          if (stripAnsi(warning) !== expected)
            throw new Error(`unexpected out-of-date warning: ${JSON.stringify(warning)}`);
          return warning;
        }
        seen.push(stdout);
      }
      throw new Error(`the out-of-date warning never preceded the JSON: ${JSON.stringify(seen)}`);
    };
    return { colour: await grab(false), plain: await grab(true) };
  } finally {
    await disposeHome(home, fakeBin);
    await rm(fakeRoot, { recursive: true, force: true });
  }
}

async function main() {
  const written = [];
  const out = async (rel, content) => {
    const file = path.join(FIXTURES, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    written.push(rel);
  };

  // 1. first-run banner, from brand-new homes (PM2_HOME set => coloured; reached via HOME => plain),
  //    and the out-of-date warning from a fake older daemon.
  const { banner, home: bannerHome } = await captureBanner({ viaHome: false });
  const { banner: bannerPlain } = await captureBanner({ viaHome: true });
  const outOfDate = await captureOutOfDate();

  // 2. the main private home
  const home = await newHome('pm2-self-fixtures-');
  let rawJlist;
  const snaps = {};
  try {
    const appsDir = path.join(home, 'apps');
    const snapDir = path.join(home, 'snapshots');
    await mkdir(appsDir, { recursive: true });
    await mkdir(snapDir, { recursive: true });
    const appJs = path.join(appsDir, 'app.js');
    await writeFile(appJs, appSource(snapDir));
    await writeFile(path.join(appsDir, 'child.js'), wrappedChildSource(snapDir));
    await writeFile(path.join(appsDir, 'start.sh'), START_SH, { mode: 0o755 });
    await writeFile(path.join(appsDir, 'ecosystem.config.js'), ecosystemSource(appJs));

    // Spawn the daemon with the clean env (no secret) so the daemon's own env holds no SECRET_TOKEN.
    await pm2(home, ['ping']);
    const secret = { extraEnv: { SECRET_TOKEN: SECRET }, cwd: appsDir };
    await pm2(home, ['start', appJs, '--name', 'fork-app'], secret);
    await pm2(home, ['start', appJs, '--name', 'cluster-app', '-i', '2'], secret);
    await pm2(
      home,
      ['start', path.join(appsDir, 'start.sh'), '--interpreter', 'bash', '--name', 'wrapped-app'],
      secret,
    );
    await pm2(home, ['start', path.join(appsDir, 'ecosystem.config.js')], { cwd: appsDir });

    await waitForAll(home, snapDir);
    await sleep(500); // let monit values settle

    rawJlist = (await pm2(home, ['jlist', '-s'])).stdout;
    for (const [fixture, file] of Object.entries(SNAPSHOTS)) {
      snaps[fixture] = JSON.parse(await readFile(path.join(snapDir, file), 'utf8'));
    }
    // Record what the wrapped child's parent really is (for the README).
    const wrapped = snaps['wrapped-child.json'];
    snaps.__wrappedParentComm = (
      await readFile(`/proc/${wrapped.ppid}/comm`, 'utf8').catch(() => '?')
    ).trim();
  } finally {
    await disposeHome(home);
  }

  // 3. jlist fixtures (stale fixture dirs are replaced only once the recording succeeded)
  await rm(path.join(FIXTURES, 'jlist'), { recursive: true, force: true });
  await rm(path.join(FIXTURES, 'env'), { recursive: true, force: true });
  const list = JSON.parse(rawJlist);
  if (JSON.stringify(list) !== rawJlist)
    throw new Error('pm2 jlist output is not plain JSON.stringify output');
  for (const p of list) {
    if (p.pm2_env) {
      const env = p.pm2_env.env;
      p.pm2_env = scrubEnv(p.pm2_env);
      if (env && typeof env === 'object') p.pm2_env.env = scrubEnv(env);
    }
  }
  const full = JSON.stringify(list); // same format pm2 prints: no indentation, no trailing newline
  await out('jlist/full.json', full);
  await out('jlist/banner-prefixed.txt', banner + full);
  await out('jlist/banner-prefixed-plain.txt', bannerPlain + full);
  await out('jlist/out-of-date.txt', outOfDate.colour + full);
  await out('jlist/out-of-date-plain.txt', outOfDate.plain + full);
  await out('jlist/malformed-truncated.txt', full.slice(0, Math.floor(full.length / 2)));
  await out('jlist/malformed-not-array.txt', '{"error":"x"}');
  await out('jlist/empty.txt', '');
  await out('jlist/empty-list.json', '[]');

  // 4. env snapshots
  for (const [fixture, snap] of Object.entries(snaps)) {
    if (fixture.startsWith('__')) continue;
    await out(`env/${fixture}`, JSON.stringify({ ...snap, env: scrubEnv(snap.env) }, null, 2) + '\n');
  }

  // 5. leak check: no secret-looking host value may survive in a fixture
  const all = (await Promise.all(written.map((r) => readFile(path.join(FIXTURES, r), 'utf8')))).join('\n');
  for (const [k, v] of Object.entries(cleanEnv)) {
    if (/key|token|secret|passw|auth|cred/i.test(k) && v && v.length >= 8 && all.includes(v)) {
      throw new Error(`host variable ${k} leaked into the fixtures`);
    }
  }
  if (!all.includes(SECRET)) throw new Error('SECRET_TOKEN missing from fixtures');

  // 6. README
  const sizes = [];
  for (const r of written.sort()) sizes.push(`| \`${r}\` | ${(await stat(path.join(FIXTURES, r))).size} |`);
  await writeFile(
    path.join(FIXTURES, 'README.md'),
    readme({ banner, bannerPlain, outOfDate, bannerHome, sizes, wrappedParent: snaps.__wrappedParentComm }),
  );

  log(`wrote ${written.length} fixtures + README.md under ${path.relative(ROOT, FIXTURES)}/`);
}

// Shows control characters visibly inside a Markdown code block.
// eslint-disable-next-line no-control-regex -- ESC made visible on purpose
const visible = (t) => t.replace(/\x1b/g, '\\e').replace(/```/g, '`\u200b``');

function readme({ banner, bannerPlain, outOfDate, bannerHome, sizes, wrappedParent }) {
  const date = new Date().toISOString().slice(0, 10);
  return `# Test fixtures: real pm2 output

Recorded on ${date} with **pm2 ${PM2_VERSION}**, Node ${process.versions.node}, ${os.platform()} ${os.arch()},
by \`scripts/record-fixtures.mjs\`. Regenerate with:

\`\`\`sh
node scripts/record-fixtures.mjs
\`\`\`

The script runs everything under a private, temporary \`PM2_HOME\` (\`mkdtemp\` in the OS temp dir) with an
environment cleaned of inherited pm2 variables, and always runs \`pm2 kill\` and deletes the home at the
end: no daemon is left behind and \`~/.pm2\` is never touched. Paths inside the fixtures therefore point to
temporary directories that no longer exist (\`/tmp/pm2-self-fixtures-XXXXXX/.pm2\`); they are kept raw.
The daemon is spawned first by a plain \`pm2 ping\` (so its own environment holds no \`SECRET_TOKEN\`), then
the apps are started with plain \`pm2 start\` (no \`-s\`, hence no \`PM2_DISCRETE_MODE\` in the apps' env).

**Scrubbing.** Every environment variable that came from the recording machine (every key present in the
recorder's own environment, e.g. \`PATH\`, \`HOME\`, \`npm_*\`, tokens) is removed from the env snapshots and
from \`pm2_env\` / \`pm2_env.env\` in the jlist fixtures. Everything pm2 set is kept. \`SECRET_TOKEN=${SECRET}\`
is kept on purpose: tests assert it never leaks out of the library. Apart from that removal, the jlist
fixtures are byte-for-byte what pm2 printed (\`JSON.stringify(list)\`, no trailing newline).

## Apps running during the recording

| name | how it was started |
|---|---|
| \`fork-app\` | \`SECRET_TOKEN=... pm2 start app.js --name fork-app\` (fork mode) |
| \`cluster-app\` | \`SECRET_TOKEN=... pm2 start app.js --name cluster-app -i 2\` (cluster mode, 2 workers) |
| \`wrapped-app\` | \`SECRET_TOKEN=... pm2 start start.sh --interpreter bash --name wrapped-app\`; \`start.sh\` runs \`node child.js\` **without** \`exec\`, so pm2 tracks bash and node is its child (parent comm recorded: \`${wrappedParent}\`) |
| \`eco-fork\` | ecosystem file, \`exec_mode: 'fork'\`, \`stop_exit_codes: [0, 7]\`, \`autorestart: false\`, \`min_uptime: 2000\`, \`kill_timeout: 3000\`, \`max_restarts: 5\`, \`restart_delay: 100\`, \`env: { SECRET_TOKEN }\` |
| \`eco-cluster\` | same settings, \`exec_mode: 'cluster'\`, \`instances: 1\` |

Each node process writes \`{ pid, ppid, env: process.env, pidFile }\` on start, where \`pidFile\` is the
content of the file at \`process.env.pm_pid_path\` (the pid pm2 tracks) or \`null\`.

## Files

### \`jlist/\`
- \`full.json\`: stdout of \`pm2 jlist -s\` with the 6 processes above online (scrubbed, see above).
- \`banner-prefixed.txt\`: the real first-run output of \`pm2 jlist\` (no \`-s\`) against a brand-new
  \`PM2_HOME\` (banner + "Spawning PM2 daemon" lines, up to the JSON), followed by \`full.json\`. It contains
  ANSI colour codes: pm2's colour library (ansis) enables colours whenever \`PM2_HOME\` is set in the
  environment, even when stdout is a pipe. Note the \`[\` characters of the escape codes and of \`[PM2]\`.
- \`banner-prefixed-plain.txt\`: the same, captured with the home reached through \`HOME\` (no \`PM2_HOME\`
  in the environment, stdout a pipe): no colour codes.
- \`out-of-date.txt\`: the real version-mismatch warning, followed by \`full.json\`. Captured by running the
  installed CLI (${PM2_VERSION}) against a daemon started from a copy of pm2 whose \`package.json\` says
  ${FAKE_DAEMON_VERSION} (\`lib/binaries/CLI.js\` \`beginCommandProcessing()\`); \`PM2_HOME\` set, so coloured.
  \`-s\` suppresses it.
- \`out-of-date-plain.txt\`: the same warning without \`PM2_HOME\` in the environment: no colour codes.
- \`malformed-truncated.txt\`: \`full.json\` cut in the middle.
- \`malformed-not-array.txt\`: \`{"error":"x"}\`.
- \`empty.txt\`: empty output.
- \`empty-list.json\`: \`[]\` (daemon running, no process).

### \`env/\` (process.env snapshots taken by the processes themselves)
- \`fork.json\`: \`fork-app\`, the tracked process (\`pidFile === pid\`).
- \`cluster-0.json\`, \`cluster-1.json\`: the two \`cluster-app\` workers (\`NODE_APP_INSTANCE\` 0 and 1).
- \`wrapped-child.json\`: the node child of \`wrapped-app\`'s bash wrapper (\`pidFile === ppid\`, the shell).
- \`direct-child.json\`: a \`node -e\` spawned directly by \`fork-app\`: inherited env, \`pidFile === ppid\`
  although its parent is NOT a shell (contrast with \`wrapped-child.json\`).
- \`grandchild.json\`: a \`node -e\` spawned by a \`node -e\` spawned by \`fork-app\`: inherited env,
  \`pidFile\` equals neither \`pid\` nor \`ppid\`.
- \`eco-fork.json\`, \`eco-cluster.json\`: the ecosystem apps (fork mode drops array settings such as
  \`stop_exit_codes\`; cluster mode passes them as strings).

### Prefixes as captured (ESC shown as \`\\e\`)

First-run banner, \`PM2_HOME\` set (home was \`${bannerHome}\`):

\`\`\`text
${visible(banner)}
\`\`\`

First-run banner, no \`PM2_HOME\` (plain):

\`\`\`text
${visible(bannerPlain)}
\`\`\`

Out-of-date warning, \`PM2_HOME\` set, as a JSON string:

\`\`\`text
${JSON.stringify(outOfDate.colour)}
\`\`\`

Out-of-date warning, plain, as a JSON string:

\`\`\`text
${JSON.stringify(outOfDate.plain)}
\`\`\`

### Sizes (bytes)

| file | size |
|---|---|
${sizes.join('\n')}
`;
}

await main();
