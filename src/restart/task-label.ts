/** Longest task label, in characters: labels travel to operators in status replies. */
export const MAX_TASK_LABEL_LENGTH = 200;

/** Throws a TypeError unless `label` is undefined or a string of at most {@link MAX_TASK_LABEL_LENGTH} characters. */
export function checkTaskLabel(label: unknown): asserts label is string | undefined {
  if (label === undefined) return;
  if (typeof label !== 'string')
    throw new TypeError(`Expected the task label to be a string, got ${typeof label}`);
  if (label.length > MAX_TASK_LABEL_LENGTH)
    throw new TypeError(
      `Expected the task label to be at most ${MAX_TASK_LABEL_LENGTH} characters, got ${label.length}`,
    );
}
