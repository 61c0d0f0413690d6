/**
 * Bounds many concurrent promises by one fixed timeout with a single timer: on the hot path a
 * setTimeout + Promise.race per request costs more than the Redis round trip it guards.
 * Every entry has the same timeout, so insertion order is deadline order and a FIFO suffices.
 */
interface Waiter {
  at: number
  /** Cleared once settled: a settled waiter waits in the queue until the next sweep and must not keep its promise (and result) alive. */
  fail: ((err: Error) => void) | undefined
}

export class Deadlines {
  private queue: Waiter[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined

  /** @param ms the timeout; @param onTimeout builds the error a late promise is rejected with. */
  constructor(
    private readonly ms: number,
    private readonly onTimeout: () => Error,
  ) {}

  /** `promise`, or a rejection with `onTimeout()` if it has not settled within the timeout. */
  bound<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = { at: performance.now() + this.ms, fail: reject }
      this.queue.push(w)
      if (this.timer === undefined) this.arm(this.ms)
      promise.then(
        (v) => {
          w.fail = undefined
          resolve(v)
        },
        (err: unknown) => {
          w.fail = undefined
          reject(err)
        },
      )
    })
  }

  /** Stops the timer; pending promises are left to settle on their own. */
  close(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Sweeps at the next deadline, or sooner (≤ 250 ms) so settled waiters do not pile up under load. */
  private arm(delay: number): void {
    this.timer = setTimeout(this.sweep, Math.min(250, Math.max(1, Math.ceil(delay))))
    this.timer.unref()
  }

  private readonly sweep = (): void => {
    this.timer = undefined
    const now = performance.now()
    const q = this.queue
    while (this.head < q.length) {
      const w = q[this.head]!
      if (w.fail !== undefined && w.at > now) break
      this.head++
      const fail = w.fail
      if (fail !== undefined) {
        w.fail = undefined
        fail(this.onTimeout())
      }
    }
    if (this.head === q.length) {
      this.queue = []
      this.head = 0
      return
    }
    if (this.head > 1024) {
      this.queue = q.slice(this.head)
      this.head = 0
    }
    this.arm(this.queue[this.head]!.at - now)
  }
}
