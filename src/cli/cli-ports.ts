import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { subscribeToBus } from '../ports/bus-subscriber.js';
import { createNodeFileSystem, createNodeProcess, createSocketDaemonClient } from '../ports/node-ports.js';
import type { CliPorts } from './daemon-link.js';
import { readPackageVersion } from './package-version.js';

/** The real ports of the CLI: this process's streams and environment, referenced timers, the daemon's sockets. */
export function createCliPorts(): CliPorts {
  const files = createNodeFileSystem();
  const processPort = createNodeProcess();
  return {
    env: process.env,
    platform: process.platform,
    homedir,
    // Waits and ages are measured on monotonicNow (a wall clock stepped meanwhile changes none);
    // now() is for the times of day it prints.
    clock: {
      now: () => Date.now(),
      monotonicNow: () => performance.now(),
      setTimeout: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
    readText: (path) => files.readText(path),
    isAlive: (pid) => processPort.isAlive(pid),
    daemon: createSocketDaemonClient(),
    bus: subscribeToBus,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    newRequestId: () => randomUUID(),
    // dist/cli.js sits one folder below the package's root.
    packageVersion: async () => {
      const text = await files.readText(fileURLToPath(new URL('../package.json', import.meta.url)));
      return text === null ? null : readPackageVersion(text);
    },
  };
}
