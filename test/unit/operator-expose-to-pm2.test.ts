/**
 * exposeToPm2() over a fake IPC channel and a scripted target: what it registers, that each action
 * replies exactly once, that the exit waits for the reply, metrics sent on change, and that a missing
 * or closed channel is a quiet no-op. A simulated clock; no real time, no pm2.
 */
import { describe, expect, it } from 'vitest';
import { exposeToPm2 } from '../../src/operator/expose-to-pm2.js';
import type { Pm2Info } from '../../src/info/info.js';
import type { OperatorRestartRequest, OperatorTarget } from '../../src/operator/operator-target.js';
import type { IpcChannel } from '../../src/ports/ipc-channel.js';
import { createEventHub } from '../../src/restart/events.js';
import type { RestartState } from '../../src/restart/machine.js';
import type { RestartOutcome } from '../../src/restart/restart-outcome.js';
import type { HookContext } from '../../src/restart/run-hooks.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

interface FakeChannel extends IpcChannel {
  available: boolean;
  connected: boolean;
  readonly sent: Record<string, unknown>[];
  deliver(message: unknown): void;
  listeners(): number;
}

function createFakeChannel(): FakeChannel {
  const listeners = new Set<(message: unknown) => void>();
  const channel: FakeChannel = {
    available: true,
    connected: true,
    sent: [],
    async send(message) {
      if (!channel.connected) return false;
      channel.sent.push(message as Record<string, unknown>);
      return true;
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    deliver: (message) => listeners.forEach((listener) => listener(message)),
    listeners: () => listeners.size,
  };
  return channel;
}

function createTarget(outcome: RestartOutcome = { status: 'deferred', tasks: 2 }) {
  const events = createEventHub();
  const requests: OperatorRestartRequest[] = [];
  const target = {
    state: { phase: 'idle', tasks: 2, request: null, nextId: 1 } as RestartState,
    requests,
    events,
    cancelled: 0,
    async gracefulRestart(options: OperatorRestartRequest) {
      requests.push(options);
      return outcome;
    },
    clearPendingRestart(): boolean {
      target.cancelled++;
      return true;
    },
    // Only a live answer carries pm2's status (the process's own view has none).
    getInfo: async (options?: { live?: boolean }) =>
      ({ name: 'web', status: options?.live === true ? 'online' : null }) as unknown as Pm2Info,
    getLastRestart: async () => null,
    runningTasks: () => [{ label: 'import-batch', startedAt: 1_000, runningMs: 12_000, stale: false }],
    get restartState(): RestartState {
      return target.state;
    },
    on: events.on,
  } satisfies OperatorTarget & Record<string, unknown>;
  return target;
}

const setup = (outcome?: RestartOutcome, ready?: () => Promise<boolean>) => {
  const clock = createSimClock();
  const channel = createFakeChannel();
  const target = createTarget(outcome);
  const debug: string[] = [];
  const uninstall = exposeToPm2(
    target,
    { channel, debug: (line) => debug.push(line) },
    { clock, pid: 777, ...(ready === undefined ? {} : { ready }) },
  );
  const ofType = (type: string) => channel.sent.filter((m) => m.type === type);
  const replies = () =>
    ofType('axm:reply').map(
      (m) => m.data as { action_name: string; return: Record<string, unknown> & { outcome?: unknown } },
    );
  return { clock, channel, target, debug, uninstall, ofType, replies };
};

describe('exposeToPm2', () => {
  it('registers the three prefixed actions and sends the metrics once', async () => {
    const { ofType } = setup();
    await flush();
    expect(ofType('axm:action').map((m) => m.data)).toEqual([
      { action_name: 'pm2-self:restart', opts: null, arity: 2 },
      { action_name: 'pm2-self:cancel', opts: null, arity: 2 },
      { action_name: 'pm2-self:status', opts: null, arity: 2 },
    ]);
    expect(ofType('axm:monitor').map((m) => m.data)).toEqual([
      {
        'pm2-self ready': { value: 'yes' },
        'pm2-self restart state': { value: 'idle' },
        'pm2-self running tasks': { value: 2 },
        'pm2-self last restart': { value: 'none' },
      },
    ]);
    expect(ofType('axm:option:configuration')).toEqual([]);
  });

  it("says `pm2-self ready: no` until the process is ready (a wait_ready app's 'ready'), before the actions are registered", async () => {
    let becomeReady = (_ready: boolean) => {};
    const ready = () => new Promise<boolean>((resolve) => (becomeReady = resolve));
    const { channel, ofType } = setup(undefined, ready);
    await flush();
    // The first message is the metrics: a rollout that sees the actions sees `ready` as well.
    expect(channel.sent[0]).toMatchObject({
      type: 'axm:monitor',
      data: { 'pm2-self ready': { value: 'no' } },
    });
    expect(ofType('axm:action')).toHaveLength(3);
    becomeReady(true);
    await flush();
    expect(ofType('axm:monitor').at(-1)?.data).toEqual({ 'pm2-self ready': { value: 'yes' } });
  });

  it('restart: asks the target, replies once with the outcome, and the exit hook waits for the reply', async () => {
    const { channel, target, replies } = setup();
    channel.deliver({
      msg: 'pm2-self:restart',
      opts: '{"reason":"deploy","deadlineMs":500,"requestId":"r1"}',
    });
    await flush();
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]).toMatchObject({
      reason: 'deploy',
      deadlineMs: 500,
      onDeadline: 'force',
      refuseNewTasks: false,
    });
    expect(replies()).toEqual([
      {
        action_name: 'pm2-self:restart',
        return: {
          action: 'pm2-self:restart',
          pid: 777,
          requestId: 'r1',
          outcome: { status: 'deferred', tasks: 2 },
        },
      },
    ]);
    // The first exit hook resolves only because the reply was sent.
    const hook = target.requests[0]?.beforeExit[0] as (context: HookContext) => Promise<void>;
    await expect(hook({} as HookContext)).resolves.toBeUndefined();
  });

  it('restart: the exit hook is pending until the reply is sent', async () => {
    const { channel, target } = setup();
    let release = (): void => undefined;
    target.gracefulRestart = async (options: OperatorRestartRequest) => {
      target.requests.push(options);
      await new Promise<void>((resolve) => (release = resolve));
      return { status: 'restarting', strategy: { type: 'exit', code: 0 }, why: 'idle' };
    };
    channel.deliver('pm2-self:restart');
    await flush();
    let hookDone = false;
    void (target.requests[0]?.beforeExit[0] as (c: HookContext) => Promise<void>)({} as HookContext).then(
      () => (hookDone = true),
    );
    await flush(3);
    expect(hookDone).toBe(false);
    release();
    await flush(3);
    expect(hookDone).toBe(true);
    expect(target.requests[0]?.reason).toBe('pm2 trigger');
  });

  it('restart: an invalid parameter is refused in the reply, keeping the request id; the target is not asked', async () => {
    const { channel, target, replies } = setup();
    channel.deliver({ msg: 'pm2-self:restart', opts: '{"deadline":"30s","requestId":"r9"}' });
    await flush();
    expect(target.requests).toEqual([]);
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.return).toMatchObject({
      requestId: 'r9',
      outcome: { status: 'invalid', why: expect.stringContaining('unknown key "deadline"') },
    });
  });

  it('restart: a target that throws still gets exactly one reply', async () => {
    const { channel, target, replies } = setup();
    target.gracefulRestart = async () => {
      throw new TypeError('bad option');
    };
    channel.deliver('pm2-self:restart');
    await flush(3);
    expect(replies().map((r) => r.return.outcome)).toEqual([{ status: 'invalid', why: 'bad option' }]);
  });

  it.each([
    ['holds a BigInt', [{ label: 1n, startedAt: 1, runningMs: 1, stale: false }], 'invalid reply'],
    [
      'is over 64 KiB',
      Array.from({ length: 400 }, () => ({
        label: 'x'.repeat(200),
        startedAt: 1,
        runningMs: 1,
        stale: false,
      })),
      'reply too large',
    ],
  ])('a status reply that %s is sent as one small error reply, never dropped', async (_name, list, error) => {
    const { channel, target, replies } = setup();
    (target as { runningTasks: () => unknown }).runningTasks = () => list;
    channel.deliver({ msg: 'pm2-self:status', opts: '{"requestId":"s1"}' });
    await flush(3);
    expect(replies()).toHaveLength(1);
    const sent = replies()[0];
    expect(() => JSON.stringify(sent)).not.toThrow();
    expect(JSON.stringify(sent).length).toBeLessThan(1024);
    expect(sent?.return).toEqual({ action: 'pm2-self:status', pid: 777, requestId: 's1', error });
  });

  it('cancel and status reply once each with the state', async () => {
    const { channel, target, replies } = setup();
    target.state = { phase: 'deferred', tasks: 1, request: null, nextId: 2 };
    channel.deliver({ msg: 'pm2-self:cancel', opts: '{"requestId":"c1"}' });
    channel.deliver('pm2-self:status');
    await flush(3);
    expect(target.cancelled).toBe(1);
    expect(
      replies()
        .map((r) => r.action_name)
        .sort(),
    ).toEqual(['pm2-self:cancel', 'pm2-self:status']);
    const status = replies().find((r) => r.action_name === 'pm2-self:status')?.return;
    expect(status).toMatchObject({
      restart: { state: 'deferred', reason: null },
      tasks: { running: 1, list: [{ label: 'import-batch', startedAt: 1_000, runningMs: 12_000 }] },
      lastRestart: null,
      info: { name: 'web', status: 'online' },
    });
    expect(replies().find((r) => r.action_name === 'pm2-self:cancel')?.return).toMatchObject({
      requestId: 'c1',
      cancelled: true,
    });
  });

  it("ignores pm2's own messages and other apps' actions", async () => {
    const { channel, target, replies } = setup();
    for (const message of ['shutdown', { type: 'log:reload' }, 'graceful-restart', { msg: 'tx2:ping' }])
      channel.deliver(message);
    await flush(3);
    expect(replies()).toEqual([]);
    expect(target.requests).toEqual([]);
  });

  it('sends a metric only when its value changed, and publishes a dropped restart on the bus', async () => {
    const { clock, target, ofType } = setup();
    await clock.advance(3000);
    expect(ofType('axm:monitor')).toHaveLength(1);
    target.state = { phase: 'deferred', tasks: 3, request: null, nextId: 2 };
    await clock.advance(1000);
    expect(ofType('axm:monitor').at(-1)?.data).toEqual({
      'pm2-self restart state': { value: 'deferred' },
      'pm2-self running tasks': { value: 3 },
    });
    target.state = { phase: 'idle', tasks: 3, request: null, nextId: 2 };
    target.events.emit('cancelled', { type: 'cancelled', reason: 'deploy', cause: 'cleared' });
    expect(ofType('axm:monitor').at(-1)?.data).toEqual({ 'pm2-self restart state': { value: 'idle' } });
    expect(ofType('pm2-self:restart-dropped').map((m) => m.data)).toEqual([
      { pid: 777, reason: 'deploy', cause: 'cleared', message: null },
    ]);
  });

  it('uninstall stops listening and polling; a second exposeToPm2 before it changes nothing', async () => {
    const { clock, channel, target, uninstall, debug } = setup();
    const again = exposeToPm2(target, { channel, debug: (line) => debug.push(line) }, { clock, pid: 777 });
    expect(channel.listeners()).toBe(1);
    expect(debug).toEqual(['exposeToPm2: already exposed in this process: this call changes nothing']);
    again();
    expect(channel.listeners()).toBe(1);
    uninstall();
    expect(channel.listeners()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    const sent = channel.sent.length;
    channel.deliver('pm2-self:status');
    await clock.advance(5000);
    expect(channel.sent.length).toBe(sent);
  });

  it('without a channel (npm-launched app): a debug line, nothing registered, no timer', () => {
    const clock = createSimClock();
    const channel = createFakeChannel();
    channel.available = false;
    const debug: string[] = [];
    const uninstall = exposeToPm2(
      createTarget(),
      { channel, debug: (l) => debug.push(l) },
      { clock, pid: 1 },
    );
    expect(debug).toHaveLength(1);
    expect(debug[0]).toContain('no IPC channel');
    expect(channel.listeners()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(uninstall()).toBeUndefined();
  });

  it('with the channel closed: nothing is sent, and an action that arrives replies without throwing', async () => {
    const { channel, clock, replies } = setup();
    channel.connected = false;
    await clock.advance(2000);
    channel.deliver('pm2-self:status');
    await flush(3);
    expect(replies()).toEqual([]);
  });

  it('refuses invalid options with a TypeError', () => {
    const clock = createSimClock();
    const channel = createFakeChannel();
    const target = createTarget();
    expect(() => exposeToPm2(target, { hooksTimeoutMs: -1, channel }, { clock, pid: 1 })).toThrow(TypeError);
    expect(() => exposeToPm2(target, { beforeExit: 'x' as never, channel }, { clock, pid: 1 })).toThrow(
      TypeError,
    );
  });
});
