import { selectInstances, type AppInstance } from './app-instances.js';
import { openDaemonLink, type CliPorts, type DaemonLink } from './daemon-link.js';
import { EXIT } from './exit-codes.js';
import { escapeControl } from './terminal-text.js';

/**
 * Opens the daemon, reads its list and selects the instances `target` names, then runs `command`
 * with them and closes the link. No daemon, an unreadable list or an unknown app: a message on
 * stderr and exit code 2, and `command` does not run.
 */
export async function withTargets(
  ports: CliPorts,
  request: { readonly target: string; readonly pm2Home: string | null; readonly bus: boolean },
  command: (link: DaemonLink, instances: AppInstance[]) => Promise<number>,
): Promise<number> {
  const opened = await openDaemonLink(ports, request.pm2Home, { bus: request.bus });
  if (!opened.ok) {
    ports.err(`pm2-self: ${escapeControl(opened.why)}`);
    return EXIT.usage;
  }
  const link = opened.value;
  try {
    const listed = await link.list();
    if (!listed.ok) {
      ports.err(`pm2-self: ${escapeControl(listed.why)}`);
      return EXIT.usage;
    }
    const instances = selectInstances(listed.value, request.target);
    if (instances.length === 0 && request.target !== 'all') {
      ports.err(
        `pm2-self: no app "${escapeControl(request.target)}" in PM2_HOME ${escapeControl(link.home)}`,
      );
      return EXIT.usage;
    }
    return await command(link, instances);
  } finally {
    link.close();
  }
}
