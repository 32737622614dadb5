#!/usr/bin/env node
/**
 * The `pm2-self` command (`npx pm2-self --help`). Sets the exit code and lets the process end by
 * itself once every socket and timer is closed.
 * @module
 */
import { createCliPorts } from './cli-ports.js';
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), createCliPorts()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `pm2-self: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
