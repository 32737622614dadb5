/** The app and generation a restart record is written for, in a file of its own so that requests and
 * records can both name it without importing each other. */
/** The app and generation a record is written for. */
export interface RecordTarget {
  readonly name: string;
  readonly namespace: string | null;
  readonly pmId: number;
  readonly restarts: number | null;
  /** How long after the exit the next generation may start and still read the record. */
  readonly lifetimeMs: number;
}
