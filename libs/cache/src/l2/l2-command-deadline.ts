/** An L2 command that got no answer within `commandTimeoutMs` (measured as Redis' own answer time). */
export class L2CommandTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis L2 command got no answer within ${timeoutMs} ms`);
    this.name = 'L2CommandTimeoutError';
  }
}

/**
 * Runs an L2 command with a deadline that does not blame Redis for our own event loop's lateness.
 *
 * A plain timer (ioredis' `commandTimeout`) fires in the timers phase, which comes before the poll
 * phase that reads sockets: after the loop stalled for longer than the timeout, the timer fires
 * first and fails a command whose answer is already waiting, unread, in the socket. Under load that
 * declared a healthy Redis down (12,065 false L2 errors in one run). Here the timer only arms a
 * check that runs after the next poll phase (`setImmediate`): by then every answer that had arrived
 * has been read, so what times out is a command Redis really did not answer in time.
 */
export function withL2Deadline<T>(command: () => Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new L2CommandTimeoutError(timeoutMs));
      });
    }, timeoutMs);
    command().then(
      (value) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });
}
