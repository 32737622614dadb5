/** ownStatus: a running process is past `launching`, unless pm2 waits for its `ready`. */
import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import type { Relation } from '../../src/identity/relation.js';
import { ownStatus } from '../../src/info/own-status.js';
import { portsForEnvFixture } from '../helpers/fake-ports.js';

async function identityOf(relation: Relation, waitReady: ManagedIdentity['settings']['waitReady']) {
  const identity = await createPm2Self({ ports: portsForEnvFixture('eco-cluster') }).getIdentity();
  if (!identity.managed) throw new Error('the eco-cluster fixture is managed');
  return { ...identity, relation, settings: { ...identity.settings, waitReady } };
}

describe('ownStatus', () => {
  it.each([
    ['launching', 'tracked', false, 'online'],
    ['launching', 'wrapper', false, 'online'],
    ['launching', 'tracked', true, 'launching'],
    ['launching', 'tracked', 'unknown', 'launching'],
    ['launching', 'descendant', false, 'launching'],
    ['launching', 'superseded', false, 'launching'],
    ['online', 'tracked', false, 'online'],
    ['stopping', 'tracked', false, 'stopping'],
    ['waiting restart', 'wrapper', false, 'waiting restart'],
    ['errored', 'tracked', true, 'errored'],
  ] as const)('daemon %s, relation %s, waitReady %s: %s', async (daemon, relation, waitReady, expected) => {
    expect(ownStatus(daemon, await identityOf(relation, waitReady))).toBe(expected);
  });
});
