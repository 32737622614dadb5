/**
 * The names of a slot's lease files, `slot-<k>-<generation>.json`: the highest generation is the
 * current lease. Pure.
 */

/** The largest generation a lease file may carry: 12 digits, the listing's own bound. */
const MAX_GENERATION = 999_999_999_999;

/**
 * The generation after `current`: 0 for an empty slot, and 0 again after the largest, so a lease at
 * the bound (planted, or after a very long life) never leads to a name the listing cannot see. The
 * new generation is still created exclusively, and the old ones are removed once it is held.
 */
export function nextGeneration(current: number | undefined): number {
  return current === undefined || current >= MAX_GENERATION ? 0 : current + 1;
}

/** The lease file name of `slot` at `generation`. */
export function slotFile(slot: number, generation: number): string {
  return `slot-${slot}-${generation}.json`;
}

/** The generations of slot `slot` present in a folder listing, ascending. */
export function slotGenerations(names: readonly string[] | null, slot: number): number[] {
  const pattern = new RegExp(`^slot-${slot}-(\\d{1,12})\\.json$`);
  return (names ?? [])
    .map((name) => pattern.exec(name)?.[1])
    .filter((generation): generation is string => generation !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
