/** Temp files of the store: `<file>.<pid>.<random>.tmp` (and `<file>.<pid>.tmp` of older releases). */
const TEMPORARY = /\.(\d{1,10})(?:\.[0-9a-f]{16})?\.tmp$/;

/** The temp-file names among `names` whose writer `isDead` says is gone. */
export function sweepableTemporaries(names: readonly string[], isDead: (pid: number) => boolean): string[] {
  return names.filter((name) => {
    const match = TEMPORARY.exec(name);
    if (match === null) return false;
    const pid = Number(match[1]);
    return Number.isSafeInteger(pid) && pid > 0 && isDead(pid);
  });
}
