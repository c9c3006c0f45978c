import type { IncomingMessage } from 'node:http';

export interface LingeringDrainOptions {
  /** Read and discard at most this many more bytes of the body. */
  maxBytes: number;
  /** Give up when the body has not ended within this long. */
  timeoutMs: number;
}

/**
 * Reads and discards the rest of a request body that will not be used, as
 * nginx's lingering close does: a client that sends its whole body before it
 * reads the answer (most do) then gets the answer, instead of a connection reset
 * that loses it. Bounded in bytes and time; past either, the connection is cut.
 * Resolves true when the body ended within the bounds.
 */
export function lingeringDrain(
  request: IncomingMessage,
  { maxBytes, timeoutMs }: LingeringDrainOptions,
): Promise<boolean> {
  if (request.readableEnded || request.destroyed) return Promise.resolve(request.readableEnded);
  return new Promise((resolve) => {
    let drained = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onGiveUp);
      request.off('close', onClose);
      // (An injected request's socket is a stand-in without destroy.)
      if (!ended && typeof request.socket?.destroy === 'function') request.socket.destroy();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onGiveUp = () => finish(false);
    const onClose = () => finish(request.readableEnded);
    const timer = setTimeout(onGiveUp, timeoutMs);
    timer.unref();
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onGiveUp);
    request.once('close', onClose);
    request.resume();
  });
}
