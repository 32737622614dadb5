/** Which command lines are launchers: Node running a launcher's entry point, whatever its extension. */
import { describe, expect, it } from 'vitest';
import { isLauncherCommand } from '../../src/identity/launchers.js';

describe('isLauncherCommand', () => {
  it.each([
    [['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'start'], true],
    [['node', '/app/node_modules/yarn/bin/yarn.js', 'start'], true],
    // pnpm 9 and later ship an ES module entry point.
    [['node', '/app/node_modules/pnpm/bin/pnpm.mjs', 'start'], true],
    [['node', '/app/node_modules/pnpm/bin/pnpm.cjs', 'start'], true],
    [['node', '/app/node_modules/tsx/dist/cli.mjs', 'app.ts'], true],
    [['node', '/app/server.mjs'], false],
  ])('%j -> %s', (argv, expected) => {
    expect(isLauncherCommand(argv)).toBe(expected);
  });
});
