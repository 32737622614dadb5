/**
 * The ports through which pm2-self touches the outside world. The core never reaches past them,
 * so tests pass fakes and real apps get {@link createNodePorts}.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** Time, as the restart machine and caches see it. */
export interface Clock {
  /** Milliseconds since the epoch (the wall clock: for times shared with other processes). */
  now(): number;
  /**
   * Milliseconds on a clock that never steps back or jumps (`performance.now()`), for ages measured
   * inside this process. Optional: without it, {@link Clock.now} is used.
   */
  monotonicNow?(): number;
  /** Schedules `callback` after `delayMs`; real timers are unref'd so they never keep a process alive. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer made by {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/** Why a command did not produce usable output. */
export type CommandFailureReason = 'notFound' | 'timeout' | 'exitCode' | 'outputTooLarge' | 'failed';

/** The outcome of running a command. */
export type CommandResult =
  | { readonly ok: true; readonly stdout: string }
  | {
      readonly ok: false;
      readonly reason: CommandFailureReason;
      readonly exitCode?: number;
      readonly message: string;
    };

/** Options for one command run. */
export interface CommandOptions {
  /** The complete environment of the child. */
  env: Record<string, string | undefined>;
  /** Kill the child (and fail with `timeout`) after this long. */
  timeoutMs: number;
  /** Fail with `outputTooLarge` past this many bytes of stdout. */
  maxBufferBytes: number;
}

/** Runs a program without a shell and without blocking the event loop. */
export interface CommandRunner {
  /** Runs `file` with `args`; never rejects. */
  run(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult>;
}

/**
 * Why a call failed.
 * - `noDaemon`: nothing listens on the socket (ENOENT, ECONNREFUSED, ENOTDIR).
 * - `accessDenied`: the socket belongs to someone else (EACCES, EPERM).
 * - `timeout`: no reply (or, for `sendToDaemon`, no flush) within `timeoutMs`.
 * - `protocol`: the peer sent something that is not a well-formed axon-rpc reply to this request.
 * - `tooLarge`: the reply is larger than `maxReplyBytes`.
 * - `remoteError`: the daemon answered with an error (unknown method, the method failed).
 * - `closed`: the connection ended or failed before a reply, or the caller's `signal` aborted; the
 *   daemon may or may not have executed the call.
 */
export type RpcFailureReason =
  'noDaemon' | 'accessDenied' | 'timeout' | 'protocol' | 'tooLarge' | 'remoteError' | 'closed';

/** Outcome of a call: never thrown, always resolved exactly once. */
export type RpcResult<T> = { ok: true; value: T } | { ok: false; reason: RpcFailureReason; message: string };

/** Talks to the pm2 daemon's RPC socket; never starts a daemon. */
export interface DaemonClient {
  /**
   * Calls `method` and waits for the reply (or, with `waitForReply: false`, only for the request to
   * be written). A reply larger than `maxReplyBytes` fails with `protocol`.
   */
  call<T>(
    socketPath: string,
    method: string,
    arg: unknown,
    options: { timeoutMs: number; waitForReply?: boolean; maxReplyBytes?: number },
  ): Promise<RpcResult<T>>;
}

/**
 * Why the store folder (`$PM2_HOME/pm2-self/`) is not used: a symlink or no folder (`notFolder`),
 * another uid's (`foreignOwner`), writable by group or others (`groupWritable`), a `PM2_HOME` that
 * another user could change (`homeUnsafe`: owned by neither this uid nor root, or writable by group or
 * others without the sticky bit), or not checkable (`unusable`, an error or a file system that did not
 * answer in time).
 */
export type StoreProblem = 'notFolder' | 'foreignOwner' | 'groupWritable' | 'homeUnsafe' | 'unusable';

/** Small text files: read, written atomically, removed. Failures are results, never exceptions. */
export interface FileSystem {
  /** The file's text, or null when it cannot be read. */
  readText(path: string): Promise<string | null>;
  /** Writes a small text file (creating its folder); resolves false on failure. */
  writeText(path: string, text: string): Promise<boolean>;
  /** Removes a file; resolves false when it could not. */
  remove(path: string): Promise<boolean>;
  /** Why a file cannot be read: it is missing, access is denied, or something else. */
  whyUnreadable(path: string): Promise<'missing' | 'denied' | 'other'>;
  /** The names in a folder, or null when it cannot be listed. */
  list(dir: string): Promise<string[] | null>;
  /**
   * Creates a small text file (and its folder) only when no file exists at `path`, atomically: the
   * claim by which processes of one `PM2_HOME` take turns asking the daemon. Resolves false when the
   * file exists or could not be created. Optional: without it, no answer is shared between processes.
   */
  createExclusive?(path: string, text: string): Promise<boolean>;
  /**
   * A file's text (null when it is there but not a readable regular file), its modification time
   * (epoch ms) and a stamp naming this very file (device, inode, time); null when nothing is at `path`.
   * Optional: without it, a claim's age is the time written in it.
   */
  readStamped?(path: string): Promise<StampedFile | null>;
  /**
   * When a regular file of this uid was last modified (epoch ms), without opening it; null when nothing
   * usable is there. Optional: without it, the file is read.
   */
  modifiedAt?(path: string): Promise<number | null>;
  /**
   * Takes over an abandoned claim: moves the file aside and removes it only when it is still the one
   * `stamp` names (else puts it back). Resolves true when nothing is at `path` afterwards. Optional:
   * without it, the claim is removed.
   */
  replaceAbandoned?(path: string, stamp: string): Promise<boolean>;
  /**
   * Why the store folder `dir` is not used, or null when it is (or does not exist yet: the first
   * writer makes it). Never creates anything. Optional: without it, the store counts as used.
   */
  storeProblem?(dir: string): Promise<StoreProblem | null>;
}

/** A file as {@link FileSystem.readStamped} read it. */
export interface StampedFile {
  readonly text: string | null;
  readonly modifiedAt: number;
  readonly stamp: string;
}

/** Another process, as far as the process tree shows it (Linux `/proc`; readable for any user). */
export interface ProcessFacts {
  readonly pid: number;
  readonly ppid: number;
  /** Its command line (one space-padded string when it set its title, as npm does). */
  readonly argv: readonly string[];
  /** How many child processes it has, or null when that cannot be told. */
  readonly children: number | null;
}

/** Signals pm2 sends when it stops or restarts an app. */
export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/** The running process, as far as pm2-self needs it. */
export interface ProcessPort {
  readonly pid: number;
  readonly ppid: number;
  readonly platform: NodeJS.Platform;
  /** The environment (read lazily by callers; never copied into results). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The home directory, for the default `PM2_HOME`. */
  homedir(): string;
  /** Seconds this process has run. */
  uptimeSeconds(): number;
  /** Resident set size, in bytes (`process.memoryUsage.rss()`: no heap statistics gathered). */
  residentMemoryBytes(): number;
  /** V8 heap in use, in bytes (`process.memoryUsage().heapUsed`). */
  heapUsedBytes(): number;
  /** True when a process with this pid exists. */
  isAlive(pid: number): boolean;
  /** The parent pid of another process, or null where the platform cannot tell. */
  parentPidOf(pid: number): Promise<number | null>;
  /** Another process's parent, command line and children, or null where the platform cannot tell. */
  describe(pid: number): Promise<ProcessFacts | null>;
  /** Keeps the process alive until the returned release is called (a restart is under way). */
  keepAlive(): () => void;
  /** Ends the process. The only exit pm2-self ever performs goes through here. */
  exit(code: number): void;
  /**
   * Subscribes to a shutdown signal or pm2's `'shutdown'` IPC message; returns the unsubscribe.
   * `onOtherListener` is told of each other listener for SIGINT or SIGTERM, there already or added
   * later while subscribed (it may exit before the drain is done).
   */
  onShutdown(
    listener: (source: ShutdownSignal | 'message') => void,
    onOtherListener?: (signal: ShutdownSignal) => void,
  ): () => void;
  /** Emits a process warning with a `PM2SELF_*` code (`process.emitWarning`); absent: none is shown. */
  warn?(code: string, message: string): void;
}

/** All ports together. */
export interface Ports {
  clock: Clock;
  runner: CommandRunner;
  daemon: DaemonClient;
  fs: FileSystem;
  process: ProcessPort;
}
