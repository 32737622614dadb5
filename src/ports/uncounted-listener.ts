/**
 * A `'message'` listener on the IPC channel that does not keep the process alive and changes nothing
 * about when the process exits. Node refs the channel per `'message'` listener (a count driven by
 * `newListener`/`removeListener`); an explicit `process.channel.unref()` would switch that count off
 * for good, so an app whose own listener is its only work would exit. Instead ours is taken out of the
 * count while installed (`unrefCounted`) and put back before it is removed (`refCounted`).
 * @module
 */

/** Node's reference counting of the IPC channel (`lib/internal/child_process.js`, Control). */
interface ChannelCount {
  refCounted(): void;
  unrefCounted(): void;
}

/** Listens to every IPC message without counting as a reason to stay alive; returns the removal. */
export function listenUncounted(listener: (message: unknown) => void): () => void {
  const channel = process.channel as (NodeJS.Process['channel'] & Partial<ChannelCount>) | undefined;
  const onMessage = (message: unknown) => listener(message);
  process.on('message', onMessage);
  const counted = typeof channel?.unrefCounted === 'function' && typeof channel.refCounted === 'function';
  if (counted) channel.unrefCounted?.();
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (counted) channel.refCounted?.();
    process.off('message', onMessage);
  };
}
