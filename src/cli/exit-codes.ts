/** The exit codes of the CLI: done, something failed (which is printed), or the command could not run. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
