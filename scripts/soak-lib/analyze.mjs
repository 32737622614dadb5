/**
 * The soak test's bookkeeping: reads the app log (scripts/soak-lib/soak-app.cjs) and the driver's
 * own record of what it did, and derives the counts and invariants printed by scripts/soak.mjs.
 *
 * How each generation (pid) ended, from independent evidence:
 * - `library`: its successor's restart record (getLastRestart()) says initiator `self` and names it
 *              as previousPid;
 * - `kill9`:   the driver SIGKILLed it;
 * - `pm2`:     it logged a `sigint` (pm2 asked it to stop: restart, reload, or the final kill), or
 *              its successor's record says initiator `pm2`;
 * - `final`:   alive when the chaos ended (stopped by the final `pm2 kill`);
 * - `unknown`: none of the above.
 */

/** Parses the JSON lines of the log; a line that is not JSON is counted, never fatal. */
export function parseLog(text) {
  const lines = [];
  let corrupt = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      lines.push(JSON.parse(raw));
    } catch {
      corrupt += 1;
    }
  }
  return { lines, corrupt };
}

const inc = (map, key, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/**
 * @param {object} input
 * @param {object[]} input.lines      parsed app log lines
 * @param {number} input.corrupt      unparsable lines
 * @param {object} input.driver       what the driver did: { kills: [{pid, at}], cli: [{cmd, app, start, end, ok}],
 *                                    requests: [{rid, pid, at, refuse, response}], cancels: [{rid, pid, at, response}],
 *                                    finalPids: number[], online: {...}, cleanup: {...} }
 */
export function analyze({ lines, corrupt, driver }) {
  const starts = lines.filter((l) => l.e === 'start');
  const byPid = new Map();
  for (const s of starts) byPid.set(s.pid, { ...s, lastT: s.t });
  for (const l of lines) {
    const p = byPid.get(l.pid);
    if (p && l.t > p.lastT) p.lastT = l.t;
  }

  // ---- how each generation ended -------------------------------------------------------------
  const killed = new Set(driver.kills.map((k) => k.pid));
  const sigint = new Set(lines.filter((l) => l.e === 'sigint').map((l) => l.pid));
  const successorRecord = new Map(); // previousPid -> record
  const freshRecords = [];
  for (const s of starts) {
    const r = s.record;
    if (r && typeof r === 'object' && typeof r.previousPid === 'number') {
      successorRecord.set(r.previousPid, { ...r, successor: s.pid });
      freshRecords.push(r);
    }
  }
  // A pid that died while a pm2 CLI restart/reload of its app was running (or just after).
  const cliNear = (pid) => {
    const p = byPid.get(pid);
    if (!p) return false;
    return driver.cli.some(
      (c) => c.app === p.name && c.start <= p.lastT + 3000 && (c.end ?? Infinity) + 3000 >= p.lastT,
    );
  };
  const finalPids = new Set(driver.finalPids);
  const restartHook = new Set(
    lines.filter((l) => l.e === 'exitHook' && l.kind === 'restart').map((l) => l.pid),
  );
  // A newer generation of the same pm_id started while this one still ran: `pm2 reload` replaced it.
  const supersededByReload = (pid) => {
    const p = byPid.get(pid);
    return (
      Number.isInteger(p?.pmId) &&
      starts.some(
        (s) => s.pid !== pid && s.pmId === p.pmId && s.startedAt > p.startedAt && s.startedAt <= p.lastT,
      )
    );
  };
  // A process pm2 ran under `_old_<id>` (its pm_id variable is not a number): pm2 respawned a
  // cluster worker that exited on its own while a reload had already replaced it.
  const oldRespawn = new Set(
    starts.filter((s) => s.name === 'soak-cluster' && !Number.isInteger(s.pmId)).map((s) => s.pid),
  );
  const causeOf = (pid) => {
    const record = successorRecord.get(pid);
    // A record is written just before the exit: if a kill -9 raced with it, the restart had happened.
    if (record?.initiator === 'self') return 'library';
    if (killed.has(pid)) return 'kill9';
    if (finalPids.has(pid)) return 'final';
    if (sigint.has(pid) || record?.initiator === 'pm2') return 'pm2';
    // The library exited (its restart hooks ran) but no successor could read a record: the worker had
    // been superseded by a reload (its pm_id now belongs to the new worker), or pm2 stopped it meanwhile.
    if (restartHook.has(pid) && supersededByReload(pid)) return 'librarySuperseded';
    if (restartHook.has(pid) && cliNear(pid)) return 'libraryRacedWithPm2';
    return 'unknown';
  };
  const cause = new Map([...byPid.keys()].map((pid) => [pid, causeOf(pid)]));
  const unknownEnds = [...cause.entries()]
    .filter(([, c]) => c === 'unknown')
    .slice(0, 5)
    .map(([pid]) => ({
      pid,
      name: byPid.get(pid).name,
      pmId: byPid.get(pid).pmId,
      startedAt: byPid.get(pid).startedAt,
      lastT: byPid.get(pid).lastT,
      last: lines.filter((l) => l.pid === pid && l.e !== 'begin' && l.e !== 'end').slice(-4),
    }));
  const causes = new Map();
  for (const c of cause.values()) inc(causes, c);

  // ---- tasks -----------------------------------------------------------------------------------
  const begins = new Map();
  const ends = new Map();
  const taskPid = new Map();
  for (const l of lines) {
    if (l.e === 'begin') {
      inc(begins, l.id);
      taskPid.set(l.id, l.pid);
    } else if (l.e === 'end') {
      inc(ends, l.id);
      taskPid.set(l.id, l.pid);
    }
  }
  const tasks = {
    begun: begins.size,
    completedOnce: 0,
    inFlightAtKill9: 0,
    cutByLibrary: 0,
    cutByPm2: 0,
    cutAtFinalKill: 0,
    lost: 0,
    inconsistent: 0,
    refused: 0,
    taskErrors: 0,
  };
  const examples = { cutByLibrary: [], cutByPm2: [], lost: [], inconsistent: [] };
  const count = (kind, id) => {
    tasks[kind] += 1;
    if (examples[kind] && examples[kind].length < 5) examples[kind].push(id);
  };
  for (const id of new Set([...begins.keys(), ...ends.keys()])) {
    const b = begins.get(id) ?? 0;
    const e = ends.get(id) ?? 0;
    if (b === 1 && e === 1) count('completedOnce', id);
    else if (b === 1 && e === 0) {
      const c = cause.get(taskPid.get(id)) ?? 'unknown';
      const kind =
        {
          kill9: 'inFlightAtKill9',
          library: 'cutByLibrary',
          librarySuperseded: 'cutByLibrary',
          libraryRacedWithPm2: 'cutByLibrary',
          pm2: 'cutByPm2',
          final: 'cutAtFinalKill',
        }[c] ?? 'lost';
      count(kind, id);
    } else count('inconsistent', id);
  }
  tasks.refused = lines.filter((l) => l.e === 'refused').length;
  tasks.taskErrors = lines.filter((l) => l.e === 'taskError').length;
  const recordsWithCutTasks = freshRecords.filter((r) => r.initiator === 'self' && r.tasksCut !== 0).length;

  // ---- restart requests ------------------------------------------------------------------------
  const reqs = lines.filter((l) => l.e === 'req');
  const statusCount = new Map();
  for (const r of reqs) inc(statusCount, r.status);
  const refusedWhy = new Map();
  for (const r of reqs.filter((x) => x.status === 'refused')) inc(refusedWhy, r.code);
  const cancelLines = lines.filter((l) => l.e === 'cancel');
  const opened = new Map();
  const cancelled = new Map();
  const failed = new Map();
  // A request opens a group when it is the first: it restarts now, defers, or waits for its turn.
  const opens = new Set(['restarting', 'deferred', 'waitingTurn']);
  for (const r of reqs) if (opens.has(r.status)) inc(opened, r.pid);
  for (const c of cancelLines) if (c.ok) inc(cancelled, c.pid);
  // A restart that found its worker replaced by a reload hands over to pm2 (which stops that worker):
  // an expected outcome, closed like a cancel. Any other failure breaks the invariant below.
  const failedLines = lines.filter((l) => l.e === 'failed');
  for (const f of failedLines) inc(failed, f.pid);
  const unexpectedFailures = failedLines.filter((f) => f.cause !== 'superseded').length;

  const groups = {
    opened: 0,
    cancelled: 0,
    failed: 0,
    executed: 0,
    executedWhileSuperseded: 0,
    droppedByKill9: 0,
    supersededByPm2: 0,
    racedWithCli: 0,
    lost: 0,
    overlapping: 0,
    unrequested: 0,
  };
  const groupExamples = { lost: [], overlapping: [], unrequested: [] };
  const example = (kind, value) => {
    if (groupExamples[kind].length < 5) groupExamples[kind].push(value);
  };
  const pidsWithRequests = new Set([
    ...opened.keys(),
    ...cancelled.keys(),
    ...failed.keys(),
    ...[...byPid.keys()].filter((p) => cause.get(p) === 'library'),
  ]);
  for (const pid of pidsWithRequests) {
    const o = opened.get(pid) ?? 0;
    const c = cancelled.get(pid) ?? 0;
    const f = failed.get(pid) ?? 0;
    groups.opened += o;
    groups.cancelled += c;
    groups.failed += f;
    const open = o - c - f;
    const how = cause.get(pid) ?? 'unknown';
    if (open < 0 || open > 1) {
      groups.overlapping += 1;
      example('overlapping', { pid, opened: o, cancelled: c, failed: f });
      continue;
    }
    if (open === 1) {
      if (how === 'library') groups.executed += 1;
      else if (how === 'librarySuperseded') groups.executedWhileSuperseded += 1;
      else if (how === 'libraryRacedWithPm2') groups.racedWithCli += 1;
      else if (how === 'kill9') groups.droppedByKill9 += 1;
      else if (how === 'pm2') groups.supersededByPm2 += 1;
      else if (cliNear(pid)) groups.racedWithCli += 1;
      else {
        groups.lost += 1;
        example('lost', { pid, how, opened: o, cancelled: c });
      }
    } else if (how === 'library') {
      groups.unrequested += 1;
      example('unrequested', { pid, opened: o, cancelled: c });
    }
  }
  const libraryRestartsObserved = freshRecords.filter((r) => r.initiator === 'self').length;
  const libraryRestartsExpected =
    groups.opened -
    groups.cancelled -
    groups.failed -
    groups.executedWhileSuperseded -
    groups.droppedByKill9 -
    groups.supersededByPm2 -
    groups.racedWithCli -
    groups.lost;

  const sent = driver.requests.length;
  const answered = driver.requests.filter((r) => r.response && r.response.status).length;
  const cancelAttempts = driver.cancels.length;

  // ---- generations per app ---------------------------------------------------------------------
  const generations = new Map();
  for (const s of starts) inc(generations, s.name);

  const invariants = [
    {
      key: 'tasks-completed-once',
      ok:
        tasks.completedOnce +
          tasks.inFlightAtKill9 +
          tasks.cutByLibrary +
          tasks.cutByPm2 +
          tasks.cutAtFinalKill +
          tasks.lost +
          tasks.inconsistent ===
          tasks.begun &&
        tasks.inconsistent === 0 &&
        tasks.lost === 0 &&
        tasks.begun > 0,
      detail: `${tasks.completedOnce} of ${tasks.begun} begun tasks completed exactly once; ${tasks.inFlightAtKill9} in flight at a kill -9; ${tasks.inconsistent} duplicated/inconsistent; ${tasks.lost} lost without an external cause`,
    },
    {
      key: 'no-task-cut-by-library-restart',
      ok: tasks.cutByLibrary === 0 && recordsWithCutTasks === 0,
      detail: `${tasks.cutByLibrary} task(s) cut short by a library restart; ${recordsWithCutTasks} restart record(s) with tasksCut > 0${examples.cutByLibrary.length ? `; e.g. ${examples.cutByLibrary.join(', ')}` : ''}`,
    },
    {
      key: 'no-task-cut-by-pm2-restart',
      ok: tasks.cutByPm2 === 0 && tasks.cutAtFinalKill === 0,
      detail: `${tasks.cutByPm2} task(s) cut short by a pm2 restart/reload, ${tasks.cutAtFinalKill} by the final pm2 kill (installShutdownHandler drains them)${examples.cutByPm2.length ? `; e.g. ${examples.cutByPm2.join(', ')}` : ''}`,
    },
    {
      key: 'library-restarts-equal-request-groups',
      ok:
        libraryRestartsObserved === libraryRestartsExpected &&
        groups.executed === libraryRestartsObserved &&
        groups.lost === 0 &&
        groups.overlapping === 0 &&
        groups.unrequested === 0,
      detail: `${libraryRestartsObserved} library restarts observed (successor records) vs ${libraryRestartsExpected} request groups left to execute; ${groups.lost} lost, ${groups.overlapping} overlapping, ${groups.unrequested} without a request`,
    },
    {
      key: 'no-restart-failures',
      ok: unexpectedFailures === 0 && (statusCount.get('error') ?? 0) === 0,
      detail: `${unexpectedFailures} 'failed' event(s) (${groups.failed - unexpectedFailures} handed over to a pm2 reload that had replaced the worker), ${statusCount.get('error') ?? 0} gracefulRestart() exception(s)`,
    },
    { key: 'apps-online', ok: driver.online.ok, detail: driver.online.detail },
    { key: 'no-stray-daemon', ok: driver.cleanup.daemonGone, detail: driver.cleanup.daemonDetail },
    {
      key: 'no-orphan-processes',
      ok: driver.cleanup.orphans.length === 0,
      detail:
        driver.cleanup.orphans.length === 0
          ? 'no process with this PM2_HOME left after pm2 kill; no app pid of the run alive'
          : `left: ${JSON.stringify(driver.cleanup.orphans).slice(0, 400)}`,
    },
    {
      key: 'log-intact',
      ok: corrupt === 0 && (causes.get('unknown') ?? 0) === 0,
      detail: `${corrupt} corrupt log line(s); ${causes.get('unknown') ?? 0} generation(s) ended for no known reason`,
    },
  ];

  // ---- anomalies: library behaviour worth a look, reported but not invariants (see --strict) ----
  const notUnderPm2 = reqs.filter((r) => r.status === 'refused' && oldRespawn.has(r.pid)).length;
  const clobbered = reqs.filter(
    (r) =>
      r.status === 'refused' &&
      r.code === 'ERR_PM2SELF_NOT_TRACKED' &&
      [...oldRespawn].some((pid) => (r.why ?? '').includes(`(pid ${pid})`)),
  );
  // Which exit made pm2 respawn each `_old_<id>` process: one of a cluster worker within 2 s before it.
  const respawnTrigger = [...oldRespawn].map((pid) => {
    const at = byPid.get(pid).startedAt;
    const died = [...byPid.values()].filter(
      (p) => p.name === 'soak-cluster' && p.pid !== pid && p.lastT <= at && p.lastT >= at - 2000,
    );
    if (died.some((p) => killed.has(p.pid))) return 'kill9';
    if (died.some((p) => restartHook.has(p.pid))) return 'library';
    return 'other';
  });
  const afterLibraryExit = respawnTrigger.filter((t) => t === 'library').length;
  const anomalies = [
    {
      key: 'old-worker-respawned-after-library-exit',
      count: afterLibraryExit,
      detail: `gracefulRestart() exited a cluster worker while \`pm2 reload\` was replacing it (restart planned before the reload, executed during it) and pm2 respawned the old worker as \`_old_<id>\` (${afterLibraryExit} time(s); ${respawnTrigger.length - afterLibraryExit} other \`_old_<id>\` respawn(s), after a kill -9 or unattributed); these processes refused ${notUnderPm2} restart request(s) as not under pm2 (${[...cause.values()].filter((c) => c === 'librarySuperseded').length} library exit(s) identified after the replacement had started)`,
    },
    {
      key: 'tracked-worker-refused-as-superseded',
      count: clobbered.length,
      detail: `restart request(s) refused (ERR_PM2SELF_NOT_TRACKED) by a worker whose pm2 pid file had been overwritten by an \`_old_<id>\` respawn${clobbered.length ? `: e.g. pid ${clobbered[0].pid}, ${clobbered[0].why}` : ''}`,
    },
  ];

  return {
    failures: { unexpected: unexpectedFailures, handedToReload: groups.failed - unexpectedFailures },
    anomalies,
    generations: Object.fromEntries(generations),
    causes: Object.fromEntries(causes),
    tasks,
    examples,
    requests: {
      sent,
      answered,
      statuses: Object.fromEntries(statusCount),
      refusedCodes: Object.fromEntries(refusedWhy),
      cancelAttempts,
      cancelsOk: groups.cancelled,
    },
    groups,
    groupExamples,
    unknownEnds,
    libraryRestartsObserved,
    libraryRestartsExpected,
    invariants,
    ok: invariants.every((i) => i.ok),
  };
}
