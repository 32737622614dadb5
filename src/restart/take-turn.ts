/**
 * The controller's side of the machine's `takeTurn` effect: waits for a turn among the app's
 * instances while the machine is `waitingTurn` for this request, tells the first caller and the
 * listeners about the wait, and answers `turnTaken` (or `turnFailed` when a port failed).
 */
import { debug } from '../common/debug.js';
import type { Clock } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { EventHub } from './events.js';
import type { RestartEvent, RestartState } from './machine-types.js';
import type { RestartOutcome } from './restart-outcome.js';
import type { Turns } from './turns.js';

/** What taking a turn works with. */
export interface TakeTurnParts {
  readonly turns: Turns | undefined;
  readonly clock: Clock;
  readonly events: EventHub;
  readonly state: () => RestartState;
  /** Answers the caller whose request is being planned (with `waitingTurn`). */
  readonly settleWaiter: (outcome: RestartOutcome) => void;
  readonly dispatch: (event: RestartEvent) => void;
}

/**
 * Takes a turn for request `requestId`; gives up once the machine no longer waits for it. A port that
 * fails (the turns' files) fails the request: the process keeps running, nothing held. Never rejects.
 */
export async function takeTurn(parts: TakeTurnParts, requestId: number): Promise<void> {
  const { turns, clock, events } = parts;
  const reason = parts.state().request?.reason ?? '';
  try {
    const turn =
      turns === undefined
        ? { taken: true as const, waitedMs: 0 }
        : await turns.take({
            stillWanted: () => {
              const state = parts.state();
              return state.phase === 'waitingTurn' && state.request?.id === requestId;
            },
            onWait(holders) {
              events.emit('waitingTurn', { type: 'waitingTurn', reason, holders });
              parts.settleWaiter({ status: 'waitingTurn', holders });
            },
          });
    if (!turn.taken) return;
    if (turn.waitedMs > 0) events.emit('turnTaken', { type: 'turnTaken', reason, waitedMs: turn.waitedMs });
    parts.dispatch({ type: 'turnTaken', at: monotonicNow(clock), requestId });
  } catch (error) {
    const message = `the turn could not be taken: ${error instanceof Error ? error.message : String(error)}`;
    debug('restart: %s', message);
    // The machine's `failed` notice gives back anything held.
    parts.dispatch({ type: 'turnFailed', at: monotonicNow(clock), requestId, message });
  }
}
