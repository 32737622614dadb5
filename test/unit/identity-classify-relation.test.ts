import { describe, expect, it } from 'vitest';
import { classifyRelation, isWrapperInterpreter, type RelationFacts } from '../../src/identity/relation.js';
import { envFixture, FIXTURE_DAEMON_PID, type EnvFixtureName } from '../helpers/fake-ports.js';

function factsOf(name: EnvFixtureName, daemonPid: number | null = FIXTURE_DAEMON_PID): RelationFacts {
  const fixture = envFixture(name);
  return {
    pid: fixture.pid,
    ppid: fixture.ppid,
    pidFileText: fixture.pidFile,
    daemonPid,
    interpreter: fixture.env.exec_interpreter ?? null,
    script: fixture.env.pm_exec_path ?? null,
    // Recorded fixtures hold no process tree: the rule for other platforms applies.
    ancestors: null,
  };
}

describe('classifyRelation over recorded processes', () => {
  it.each([
    ['fork', 'tracked', 7417],
    ['cluster-0', 'tracked', 7454],
    ['cluster-1', 'tracked', 7468],
    ['eco-fork', 'tracked', 7513],
    ['eco-cluster', 'tracked', 7514],
    // pm2 tracks the bash wrapper, our parent: exiting still restarts the app.
    ['wrapped-child', 'wrapper', 7497],
    // The pid file names our parent, but the parent is node, not a shell: a plain child of the app.
    ['direct-child', 'descendant', 7417],
    ['grandchild', 'descendant', 7417],
  ] as const)('%s is %s (tracked pid %d)', (fixture, relation, trackedPid) => {
    expect(classifyRelation(factsOf(fixture))).toEqual({
      ok: true,
      relation,
      trackedPid,
      evidence: 'pidFile',
    });
    // The answer does not depend on knowing the daemon's pid, except for superseded.
    expect(classifyRelation(factsOf(fixture, null))).toEqual({
      ok: true,
      relation,
      trackedPid,
      evidence: 'pidFile',
    });
  });

  it('a daemon child whose pid file names another process is superseded (old cluster worker)', () => {
    const worker = factsOf('cluster-0');
    expect(classifyRelation({ ...worker, pidFileText: '9999' })).toEqual({
      ok: true,
      relation: 'superseded',
      trackedPid: 9999,
      evidence: 'pidFile',
    });
    // Without the daemon's pid it cannot be told from a descendant.
    expect(classifyRelation({ ...worker, pidFileText: '9999', daemonPid: null })).toEqual({
      ok: true,
      relation: 'descendant',
      trackedPid: 9999,
      evidence: 'pidFile',
    });
  });

  it('tolerates whitespace around the pid', () => {
    expect(classifyRelation({ ...factsOf('fork'), pidFileText: ' 7417\n' })).toMatchObject({
      ok: true,
      relation: 'tracked',
    });
  });

  it('reports an unreadable pid file', () => {
    expect(classifyRelation({ ...factsOf('fork'), pidFileText: null })).toEqual({
      ok: false,
      problem: 'pidFileUnreadable',
    });
  });

  it.each(['', '\n', 'abc', '0', '-7417', '7417.0', '7417abc', '7417 7418', '1e4', '99999999999999999'])(
    'reports garbage pid file %j as invalid',
    (text) => {
      expect(classifyRelation({ ...factsOf('fork'), pidFileText: text })).toEqual({
        ok: false,
        problem: 'pidFileInvalid',
      });
    },
  );
});

describe('isWrapperInterpreter', () => {
  it.each(['bash', '/bin/bash', 'sh', 'python3', 'C:\\tools\\bash.exe'])('%s is a wrapper', (interpreter) => {
    expect(isWrapperInterpreter(interpreter)).toBe(true);
  });

  it.each([
    null,
    '',
    'node',
    '/usr/bin/node',
    'node.exe',
    'C:\\Program Files\\nodejs\\node.exe',
    'none',
    '/usr/bin/',
  ])('%j is not a wrapper', (interpreter) => {
    expect(isWrapperInterpreter(interpreter)).toBe(false);
  });
});
