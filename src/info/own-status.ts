import type { ManagedIdentity } from '../identity/identity.js';
import { isTrackedByPm2 } from '../identity/relation.js';

/**
 * The status this process reports about itself, from the daemon's status of the process pm2 tracks for
 * it. pm2 marks a cluster worker `online` on Node's cluster `online` event, which can arrive after the
 * worker's own code has run and asked; a fork process is marked right after its spawn. Either way, a
 * process whose code runs is past `launching`, unless pm2 waits for its `ready` (`wait_ready`, or a
 * setting not known): then the daemon's `launching` stands until it says otherwise. Pure.
 */
export function ownStatus(daemonStatus: string, identity: ManagedIdentity): string {
  if (daemonStatus !== 'launching' || !isTrackedByPm2(identity.relation)) return daemonStatus;
  return identity.settings.waitReady === false ? 'online' : daemonStatus;
}
