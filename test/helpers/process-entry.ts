/** A daemon list entry for unit tests: instance 0 of the cluster app `web`, online, unless overridden. */
import type { ProcessEntry } from '../../src/pm2/process-list.js';
import { readRestartSettings } from '../../src/pm2/restart-settings.js';

export function processEntry(overrides: Partial<ProcessEntry> = {}): ProcessEntry {
  return {
    pid: 100,
    pmId: 0,
    name: 'web',
    namespace: 'default',
    execMode: 'cluster',
    instance: 0,
    status: 'online',
    restarts: 0,
    unstableRestarts: 0,
    startedAt: 0,
    memoryBytes: null,
    cpuPercent: null,
    interpreter: 'node',
    settings: readRestartSettings({}, 'daemon'),
    ...overrides,
  };
}

/**
 * A raw `getMonitorData` entry of an online app that called `exposeToPm2()`: pid `100 + pmId`, the
 * `pm2-self:restart` action registered and `monitor` as the metrics it sent.
 */
export function exposedRawEntry(name: string, pmId: number, monitor: object) {
  return {
    pid: 100 + pmId,
    name,
    pm_id: pmId,
    monit: {},
    pm2_env: {
      status: 'online',
      restart_time: 0,
      axm_actions: [{ action_name: 'pm2-self:restart' }],
      axm_monitor: monitor,
    },
  };
}
