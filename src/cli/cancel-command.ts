import { OPERATOR_ACTIONS } from '../operator/action-protocol.js';
import { describeNotExposed } from './app-instances.js';
import { askInstance } from './ask-instance.js';
import type { CliPorts } from './daemon-link.js';
import { withTargets } from './with-targets.js';
import { EXIT } from './exit-codes.js';
import { fit } from './render-table.js';
import { paint } from './style.js';

/** `pm2-self cancel <app>`: drops the pending restart of each exposed online instance. */
export async function runCancel(
  ports: CliPorts,
  command: { target: string; pm2Home: string | null },
): Promise<number> {
  return withTargets(ports, { ...command, bus: true }, async (link, instances) => {
    let failed = 0;
    // One request per instance, all at once: each answers at once.
    const answers = await Promise.all(
      instances.map(async (instance) => {
        const { entry } = instance;
        if (entry.status !== 'online') return { text: `${entry.status}: left alone`, ok: true };
        if (!instance.exposed) return { text: `${describeNotExposed(instance)}: not asked`, ok: false };
        const asked = await askInstance(ports, link, entry.pmId, OPERATOR_ACTIONS.cancel, {});
        if (!asked.ok) return { text: `could not be asked: ${asked.why}`, ok: false };
        const reply = asked.value;
        if (reply === null) return { text: 'no reply', ok: false };
        if (!('cancelled' in reply))
          return {
            text: `rejected the request: ${'outcome' in reply && 'why' in reply.outcome ? reply.outcome.why : '?'}`,
            ok: false,
          };
        return {
          text: reply.cancelled ? 'pending restart cancelled' : `nothing to cancel (state ${reply.state})`,
          ok: true,
        };
      }),
    );
    instances.forEach(({ entry }, i) => {
      const answer = answers[i] as { text: string; ok: boolean };
      if (!answer.ok) failed++;
      const name = fit(`${entry.name} ${entry.pmId}`, 20).padEnd(20);
      ports.out(
        `${paint(name, 'bold', ports.color)} ${paint(fit(answer.text, 59), answer.ok ? 'plain' : 'red', ports.color)}`,
      );
    });
    return failed === 0 && instances.length > 0 ? EXIT.ok : EXIT.failed;
  });
}
