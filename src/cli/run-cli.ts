import { runCancel } from './cancel-command.js';
import type { CliPorts } from './daemon-link.js';
import { EXIT } from './exit-codes.js';
import { helpText } from './help-text.js';
import { parseArgs } from './parse-args.js';
import { runRestart } from './restart-command.js';
import { runStatus } from './status-command.js';

/** Runs the `pm2-self` command line (`args` without `node` and the script); resolves with the exit code. */
export async function runCli(args: readonly string[], ports: CliPorts): Promise<number> {
  const command = parseArgs(args);
  switch (command.kind) {
    case 'help':
      ports.out(helpText(command.topic));
      return EXIT.ok;
    case 'version': {
      const version = await ports.packageVersion();
      if (version === null) {
        ports.err('pm2-self: its package.json could not be read, so its version is unknown');
        return EXIT.failed;
      }
      ports.out(version);
      return EXIT.ok;
    }
    case 'usage':
      ports.err(`pm2-self: ${command.message}`);
      ports.err(`Run "pm2-self ${command.topic === null ? '' : `${command.topic} `}--help" for usage.`);
      return EXIT.usage;
    case 'status':
      return runStatus(ports, command);
    case 'restart':
      return runRestart(ports, command);
    case 'cancel':
      return runCancel(ports, command);
  }
}
