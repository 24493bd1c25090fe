export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/**
 * `promise`, or a TimeoutError after `ms`, so a hung database cannot stall a request. The work
 * keeps running after a timeout; its late answer or error must not surface as an unhandled
 * rejection, so both are swallowed here.
 *
 * The timer's expiry waits one turn of the event loop before it counts: when the loop was busy
 * past the deadline, an answer that arrived in time is read from the socket first.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new TimeoutError(ms))), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
